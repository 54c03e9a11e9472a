"""A service's process, the same for all four: settings → logs → NATS → provision → serve
→ stop, and the helpers every `serve()` composes its lifetime from."""

from easel.runtime._service import Runtime, run
from easel.runtime._tasks import background, every, until_stopped

__all__ = ["Runtime", "background", "every", "run", "until_stopped"]
