"""Easel's development tools, never deployed: loopback stand-ins for what Easel talks to
outside (Telegram, the image workers, the LLM), the whole system run as processes
(`harness`), helpers for tests (`testing`), `just demo`, `just observe`, `just chaos`,
`just bench`, and the event catalogue check."""
