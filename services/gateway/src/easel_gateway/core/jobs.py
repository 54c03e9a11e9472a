"""Job identity and the event that starts a job. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from easel.events import ImageRequested, JobContext, TelegramRequester

_LANGUAGE_CODE_MAX = 16  # the event contract's limit; Telegram's IETF tags are shorter


def signed_id(number: int) -> str:
    """An id safe for job ids and KV keys, which allow no "-" sign in front: -100 → n100."""
    return f"n{-number}" if number < 0 else str(number)


def job_id(chat_id: int, message_id: int) -> str:
    """From the Telegram message, so a duplicated update yields the same job."""
    return f"tg_{signed_id(chat_id)}_{message_id}"


def rate_limit_key(user_id: int) -> str:
    return f"user_{signed_id(user_id)}"


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
) -> ImageRequested:
    requester = TelegramRequester(
        chat_id=chat_id,
        user_id=user_id,
        status_message_id=status_message_id,
        language_code=language_code[:_LANGUAGE_CODE_MAX] if language_code else None,
    )
    context = JobContext(original_prompt=prompt, requested_at=requested_at, requester=requester)
    return ImageRequested(job_id=job, model=model, job=context)
