"""The OpenAI-compatible chat-completions client: one answer, or a reason why not."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from pydantic import SecretStr

from easel_enhancer import core


class LlmUnavailable(Exception):
    """No answer; `reason` is a fallback reason (`timeout`, `http_<status>`, `network`, …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LlmClient(contextlib.AbstractAsyncContextManager["LlmClient"]):
    def __init__(
        self, base_url: str, api_key: SecretStr | None, model: str, timeout: float
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._client = httpx.AsyncClient(headers=headers, timeout=timeout)
        self._url = f"{base_url.rstrip('/')}/chat/completions"
        self._model = model
        self._timeout = timeout

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    async def complete(self, prompt: str) -> str:
        """The raw text of the model's answer; raises LlmUnavailable."""
        body = {
            "model": self._model,
            "messages": core.messages(prompt),
            "temperature": core.TEMPERATURE,
            "max_tokens": core.MAX_TOKENS,
        }
        try:
            # httpx's timeout is per read; this one bounds a slowly trickling answer too.
            async with asyncio.timeout(self._timeout):
                response = await self._client.post(self._url, json=body)
        except (TimeoutError, httpx.TimeoutException):
            raise LlmUnavailable("timeout") from None
        except httpx.RequestError:
            raise LlmUnavailable("network") from None
        if response.status_code != httpx.codes.OK:
            raise LlmUnavailable(f"http_{response.status_code}")
        return _content(response)


def _content(response: httpx.Response) -> str:
    try:
        answer: Any = response.json()
        content = answer["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError):
        raise LlmUnavailable("unusable_answer") from None
    if not isinstance(content, str):
        raise LlmUnavailable("unusable_answer")
    return content
