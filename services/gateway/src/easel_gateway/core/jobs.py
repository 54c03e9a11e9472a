"""Job identity, the users the limits count, and the event that starts a job, for both
front doors. Pure: no I/O."""

from __future__ import annotations

import uuid
from datetime import datetime

from easel.events import ApiRequester, ImageRequested, JobContext, Params, TelegramRequester

_LANGUAGE_CODE_MAX = 16  # the event contract's limit; Telegram's IETF tags are shorter


def signed_id(number: int) -> str:
    """An id safe for job ids and KV keys, which allow no "-" sign in front: -100 → n100."""
    return f"n{-number}" if number < 0 else str(number)


def job_id(chat_id: int, message_id: int) -> str:
    """From the Telegram message, so a duplicated update yields the same job."""
    return f"tg_{signed_id(chat_id)}_{message_id}"


def press_job_id(chat_id: int, query_id: str) -> str:
    """A job a button press asks for: a redelivered press (the same query) is the same job."""
    return f"tg_{signed_id(chat_id)}_q{query_id}"


def telegram_user(user_id: int) -> str:
    """A Telegram user as the rate limit and the fair share count them."""
    return f"user_{signed_id(user_id)}"


def api_user(key_name: str) -> str:
    """An API key as the rate limit and the fair share count it: a user of its own."""
    return f"key_{key_name}"


def api_job_id() -> str:
    """Unguessable: an API job's image is fetched by its id, without a key (`/files/`)."""
    return f"api_{uuid.uuid4().hex}"


def api_requested(
    *,
    job: str,
    model: str,
    prompt: str,
    key_name: str,
    requested_at: datetime,
    webhook_url: str | None = None,
    params: Params | None = None,
) -> ImageRequested:
    requester = ApiRequester(key_name=key_name, webhook_url=webhook_url)
    context = JobContext(
        original_prompt=prompt,
        requested_at=requested_at,
        requester=requester,
        params=params or Params(),
    )
    return ImageRequested(job_id=job, model=model, job=context)


def image_requested(
    *,
    job: str,
    model: str,
    prompt: str,
    chat_id: int,
    user_id: int,
    status_message_id: int,
    language_code: str | None,
    requested_at: datetime,
    params: Params | None = None,
) -> ImageRequested:
    requester = TelegramRequester(
        chat_id=chat_id,
        user_id=user_id,
        status_message_id=status_message_id,
        language_code=language_code[:_LANGUAGE_CODE_MAX] if language_code else None,
    )
    context = JobContext(
        original_prompt=prompt,
        requested_at=requested_at,
        requester=requester,
        params=params or Params(),
    )
    return ImageRequested(job_id=job, model=model, job=context)
