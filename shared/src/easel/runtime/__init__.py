"""A service's process, the same for all four: settings → logs → NATS → provision → serve
→ stop, and the helpers every `serve()` composes its lifetime from: background tasks, a
periodic round, and a lease for what one replica at a time must do."""

from easel.runtime._lease import Lease, acquire, keep, lead, lease
from easel.runtime._service import Runtime, run
from easel.runtime._tasks import background, every, until_stopped

__all__ = [
    "Lease",
    "Runtime",
    "acquire",
    "background",
    "every",
    "keep",
    "lead",
    "lease",
    "run",
    "until_stopped",
]
