"""The design Easel replaces, re-implemented small and faithfully, for side-by-side figures.

One process. Per model a Python list (the requests in arrival order; a request's index is
the position it would show) and a `processing` flag. Each request appends itself, then
loops: `try_start_processing()`, and when that says no, `await asyncio.sleep(2)`. The
request holding the slot enhances its prompt (the LLM over HTTP) *and* generates the
image (the worker over HTTP), then frees the slot. Nothing wakes a waiting request when
the slot frees: it notices on its next poll.

Assumption where the description is silent: `try_start_processing()` admits only the
request at the head of the list (first come, first served). Telegram replies are left
out; the figures compare the backend's view (the worker stand-in's timestamps).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

POLL_SECONDS = 2.0
_SYSTEM_PROMPT = "Rewrite the request into a detailed prompt for a text-to-image model."


@dataclass(eq=False)
class Request:
    prompt: str
    submitted_at: float  # time.monotonic()
    done_at: float | None = None
    image_bytes: int = 0


class ModelQueue:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.processing = False

    def try_start_processing(self, request: Request) -> bool:
        if self.processing or not self.requests or self.requests[0] is not request:
            return False
        self.processing = True
        return True

    def finish(self, request: Request) -> None:
        self.requests.remove(request)
        self.processing = False


class ReferenceBot:
    def __init__(
        self, worker_url: str, llm_url: str, llm_key: str, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self._worker_url = worker_url
        self._llm_url = f"{llm_url.rstrip('/')}/chat/completions"
        self._llm_headers = {"Authorization": f"Bearer {llm_key}"}
        self._poll = poll_seconds
        self._queues: dict[str, ModelQueue] = {}
        self._http = httpx.AsyncClient(timeout=120.0)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._http.aclose()

    async def handle(self, model: str, prompt: str) -> Request:
        queue = self._queues.setdefault(model, ModelQueue())
        request = Request(prompt, time.monotonic())
        queue.requests.append(request)
        # The polling is the design under comparison, not an oversight here.
        while not queue.try_start_processing(request):  # noqa: ASYNC110
            await asyncio.sleep(self._poll)
        try:
            enhanced = await self._enhance(prompt)  # inside the slot, as in the original
            image = await self._generate(enhanced)
        finally:
            queue.finish(request)
        request.done_at = time.monotonic()
        request.image_bytes = len(image)
        return request

    async def run(self, model: str, prompts: list[str]) -> list[Request]:
        """Every request arriving at once, as a burst of Telegram messages would."""
        return list(await asyncio.gather(*(self.handle(model, p) for p in prompts)))

    async def _enhance(self, prompt: str) -> str:
        body: dict[str, Any] = {
            "model": "reference",
            "messages": [
                {"role": "system", "content": _SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
        }
        try:
            answer = await self._http.post(self._llm_url, json=body, headers=self._llm_headers)
            answer.raise_for_status()
            return str(answer.json()["choices"][0]["message"]["content"])
        except (httpx.HTTPError, ValueError, LookupError):
            return prompt  # the original prompt, as the reference falls back

    async def _generate(self, prompt: str) -> bytes:
        response = await self._http.get(self._worker_url, params={"prompt": prompt})
        response.raise_for_status()
        return response.content
