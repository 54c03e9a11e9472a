"""The gateway's state in NATS KV, shared by every replica; each module applies the
decisions of its namesake in `core` with compare-and-set."""
