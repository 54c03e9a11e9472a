"""The results consumer's handler: turn image.started / generated / failed into Telegram.

At-least-once delivery meets a photo that must be sent once: before sending, the KV
ledger is checked; after Telegram accepted the photo, the job is recorded with a KV
`create`, then the message is acked. Remaining window: a crash (or a lost ack followed
by a redelivery) between Telegram's acceptance and the ledger write sends the photo a
second time. Telegram offers no idempotency key for sendPhoto, so that window cannot be
closed, only kept short.
"""

from __future__ import annotations

import asyncio
import mimetypes
from datetime import UTC, datetime
from typing import cast

import nats.errors
import structlog

from easel import bus
from easel.events import (
    ErrorCode,
    ImageCancelled,
    ImageDelivered,
    ImageFailed,
    ImageGenerated,
    ImageStarted,
    TelegramRequester,
)
from easel.i18n import Texts
from easel.images import ImageCorrupt, ImageReader
from easel.jobs import Ending, Endings, ServiceTimes, left
from easel.settings import ModelRegistry
from easel_notifier import metrics, texts
from easel_notifier.bot_calls import DeleteMessage, EditText, SendPhoto
from easel_notifier.ledger import Ledger
from easel_notifier.outbox import Outbox
from easel_notifier.scheduler import Settled, Settlement, Stage

ResultEvent = ImageStarted | ImageGenerated | ImageDelivered | ImageFailed | ImageCancelled

_results = bus.decoder(ImageStarted, ImageGenerated, ImageDelivered, ImageFailed, ImageCancelled)


def decode_result(data: bytes) -> ResultEvent:
    """The results stream's body as one of its events (ValidationError otherwise)."""
    # bus.decoder types a union as the Event base; the discriminator guarantees these.
    return cast(ResultEvent, _results.validate_json(data))


log = structlog.get_logger("easel.notifier")

# The bus being briefly unreachable: come back later rather than fail the job.
_BUS_ERRORS = (nats.errors.Error, TimeoutError)


class ResultHandler:
    def __init__(
        self,
        outbox: Outbox,
        images: ImageReader,
        ledger: Ledger,
        registry: ModelRegistry,
        *,
        endings: Endings,
        service_times: ServiceTimes,
        publish: bus.Publish,
        images_in_memory: int = 8,
    ) -> None:
        self._outbox = outbox
        self._publish = publish
        self._endings = endings
        self._service_times = service_times
        self._images = images
        self._ledger = ledger
        self._registry = registry
        # Handlers waiting here hold no image yet: in a burst, the others fetch only as
        # photos are settled instead of all waiting in the paced outbox with their bytes.
        self._in_memory = asyncio.Semaphore(images_in_memory)

    async def __call__(self, event: ResultEvent, delivery: bus.Delivery) -> bus.Outcome:
        requester = event.job.requester
        if not isinstance(requester, TelegramRequester) or isinstance(event, ImageDelivered):
            # A CLI or API job: nobody to tell; its client fetches the image itself. A
            # delivery: this notifier's own word that the job ended.
            return bus.ACK
        try:
            return await self._tell(event, requester, delivery)
        except _BUS_ERRORS as error:
            log.warning("notifier.bus_unavailable", error=repr(error))
            return bus.Nak(bus.retry_delay(delivery.attempt))

    async def _tell(
        self,
        event: ImageStarted | ImageGenerated | ImageFailed | ImageCancelled,
        requester: TelegramRequester,
        delivery: bus.Delivery,
    ) -> bus.Outcome:
        model = self._display(event.model)
        t = texts.texts_for(requester.language_code)
        match event:
            case ImageStarted():
                service = await self._service_times.of(event.model)
                text = texts.generating(t, model, left(0.0, service) if service else None)
                self._outbox.edit(
                    requester.chat_id,
                    requester.status_message_id,
                    text,
                    Stage.GENERATING,
                    cancel=t("button-cancel"),
                )
                return bus.ACK
            case ImageFailed():
                # Not when the job ended otherwise first: cancelled, or this notifier's own
                # failure to deliver (it claimed the ending before sending the photo).
                if await self._endings.claim(event.job_id, Ending.FAILED) is not Ending.FAILED:
                    return bus.ACK
                log.info("notifier.job_failed", error_code=event.error_code.value)
                text = texts.failure(t, model, event.error_code)
                return await self._final_text(event, requester, text, "failed", delivery)
            case ImageCancelled():
                # Its front door claimed the ending before publishing it.
                text = texts.cancelled(t, model)
                return await self._final_text(event, requester, text, "cancelled", delivery)
            case ImageGenerated():
                return await self._generated(event, requester, delivery)

    async def _generated(
        self, event: ImageGenerated, requester: TelegramRequester, delivery: bus.Delivery
    ) -> bus.Outcome:
        chat_id, status_id = requester.chat_id, requester.status_message_id
        model = self._display(event.model)
        t = texts.texts_for(requester.language_code)
        if delivered := await self._ledger.delivered(event.job_id):
            log.info("notifier.already_delivered", attempt=delivery.attempt)
            metrics.DELIVERIES.labels(event.model, "duplicate").inc()
            await self._publish(ImageDelivered.after(event, file_id=delivered.file_id))
            await self._finish(event, requester)
            return bus.ACK
        if (ending := await self._endings.of(event.job_id)) not in (None, Ending.DELIVERING):
            return await self._withheld(event, ending)
        # Still cancellable: the ending is claimed only as the photo leaves, once its chat's
        # Telegram budget allows it, so a cancel pressed while it waits for that still wins.
        cancel = t("button-cancel")
        self._outbox.edit(chat_id, status_id, texts.sending(t), Stage.SENDING, cancel=cancel)
        corrupt: str | None = None
        try:
            settled = await self._send_photo(event, requester, model, t)
        except ImageCorrupt as error:
            # Handled past this block: the error's traceback holds the read buffer.
            corrupt = str(error)
        if corrupt is not None:
            log.error("notifier.image_corrupt", reason=corrupt)
            await self._images.discard(event.image)
            return await self._undelivered(event, ErrorCode.INVALID_IMAGE, corrupt, delivery)
        if settled is None:
            log.warning("notifier.image_expired", object_name=event.image.object_name)
            detail = "the image expired before it could be sent"
            return await self._undelivered(event, ErrorCode.EXPIRED, detail, delivery)
        if settled.outcome is Settlement.DECLINED:
            return await self._withheld(event, Ending(settled.reason))

        if settled.outcome in (Settlement.GAVE_UP, Settlement.WITHDRAWN):
            log.warning("notifier.photo_not_sent", outcome=settled.outcome, reason=settled.reason)
            return bus.Nak(bus.retry_delay(delivery.attempt))
        if settled.outcome is not Settlement.ACCEPTED:
            # Refused for good (bot blocked, chat gone, photo invalid): retrying cannot help.
            log.error("notifier.photo_rejected", outcome=settled.outcome, reason=settled.reason)
            metrics.DELIVERIES.labels(event.model, "rejected").inc()
            await self._images.discard(event.image)
            text = texts.failure(t, model, ErrorCode.INVALID_IMAGE)
            await self._outbox.deliver(
                EditText(chat_id, status_id, text), message_id=status_id, stage=Stage.FAILED
            )
            await self._end_as_failed(event, ErrorCode.INVALID_IMAGE, "Telegram refused it")
            return bus.ACK

        # From here on the photo is out: whatever fails, ack, so it is not sent again.
        await self._record(event.job_id, settled.file_id)
        await self._announce_delivery(event, settled.file_id)
        elapsed = (datetime.now(UTC) - event.job.requested_at).total_seconds()
        metrics.END_TO_END.labels(event.model).observe(max(elapsed, 0.0))
        metrics.QUEUE_WAIT.labels(event.model).observe(event.queued_seconds)
        metrics.DELIVERIES.labels(event.model, "delivered").inc()
        log.info("notifier.photo_delivered", attempt=delivery.attempt, seconds=round(elapsed, 3))
        await self._finish(event, requester)
        return bus.ACK

    async def _send_photo(
        self, event: ImageGenerated, requester: TelegramRequester, model: str, t: Texts
    ) -> Settled | None:
        """Fetch the image and wait until Telegram settles the photo; None: it is gone.

        The bytes live only in here, under the semaphore, so at most `images_in_memory`
        images are held at once.
        """
        async with self._in_memory:
            data = await self._images.fetch(event.image)
            if data is None:
                return None
            extension = mimetypes.guess_extension(event.image.content_type) or ""
            spec = self._registry.get(event.model)
            caption = texts.caption(
                t,
                model,
                event.prompt,
                seed=event.seed,
                ignored=event.job.params.ignored,
                enhanced=event.enhanced,
                yours=event.job.original_prompt,
            )
            can_vary = spec is not None and "image" in spec.accepts
            photo = SendPhoto(
                requester.chat_id,
                data,
                f"{event.job_id}{extension}",
                caption,
                job=event.job_id,
                again=t("button-again"),
                variation=t("button-variation") if can_vary else None,
            )
            return await self._outbox.deliver(
                photo,
                message_id=requester.status_message_id,
                stage=Stage.DONE,
                gate=lambda: self._claim_delivery(event.job_id),
            )

    async def _claim_delivery(self, job_id: str) -> Settled | None:
        """The photo's gate: it leaves only if the job's ending is (now) its delivery."""
        try:
            ending = await self._endings.claim(job_id, Ending.DELIVERING)
        except _BUS_ERRORS as error:
            return Settled(Settlement.GAVE_UP, f"the ending could not be claimed: {error!r}")
        return None if ending is Ending.DELIVERING else Settled(Settlement.DECLINED, ending.value)

    async def _withheld(self, event: ImageGenerated, ending: Ending) -> bus.Outcome:
        """Cancelled (or failed) first: that ending is what the user sees; no photo, ever."""
        log.info("notifier.photo_withheld", ending=ending.value)
        metrics.DELIVERIES.labels(event.model, "withheld").inc()
        await self._images.discard(event.image)
        return bus.ACK

    async def _undelivered(
        self, event: ImageGenerated, code: ErrorCode, detail: str, delivery: bus.Delivery
    ) -> bus.Outcome:
        """The image could not reach the user: they hear why, and the job ends as failed
        (claimed as this notifier's, a delivery that did not happen, unless it ended first)."""
        requester = event.job.requester
        assert isinstance(requester, TelegramRequester), "only Telegram jobs get this far"
        ending = await self._endings.claim(event.job_id, Ending.DELIVERING)
        if ending is not Ending.DELIVERING:
            return await self._withheld(event, ending)
        t = texts.texts_for(requester.language_code)
        text = texts.failure(t, self._display(event.model), code)
        outcome = await self._final_text(event, requester, text, code.value, delivery)
        if outcome == bus.ACK:
            await self._end_as_failed(event, code, detail)
        return outcome

    async def _end_as_failed(self, event: ImageGenerated, code: ErrorCode, detail: str) -> None:
        # The ending was claimed (delivering) before the photo went: this notifier takes
        # its own image.failed back in and leaves it be.
        await self._publish(ImageFailed.for_job(event, code, detail[:500], attempts=0))

    async def _announce_delivery(self, event: ImageGenerated, file_id: str | None) -> None:
        try:
            await self._publish(ImageDelivered.after(event, file_id=file_id))
        except _BUS_ERRORS as error:  # the job view misses the ending; the user does not
            log.error("notifier.delivered_event_failed", error=repr(error))

    async def _record(self, job_id: str, file_id: str | None) -> None:
        try:
            if not await self._ledger.record(job_id, file_id):
                log.warning("notifier.delivered_twice")  # another replica raced this one
        except _BUS_ERRORS as error:
            log.error("notifier.ledger_write_failed", error=repr(error))

    async def _finish(self, event: ImageGenerated, requester: TelegramRequester) -> None:
        """Remove what the delivered photo makes obsolete: the status message and the object."""
        status = DeleteMessage(requester.chat_id, requester.status_message_id)
        await self._outbox.deliver(status, message_id=requester.status_message_id, stage=Stage.DONE)
        await self._images.discard(event.image)

    async def _final_text(
        self,
        event: ImageGenerated | ImageFailed | ImageCancelled,
        requester: TelegramRequester,
        text: str,
        outcome: str,
        delivery: bus.Delivery,
    ) -> bus.Outcome:
        """Turn the status message into the job's last word, and wait until it shows."""
        edit = EditText(requester.chat_id, requester.status_message_id, text)
        settled = await self._outbox.deliver(
            edit, message_id=requester.status_message_id, stage=Stage.FAILED
        )
        if settled.outcome in (Settlement.GAVE_UP, Settlement.WITHDRAWN):
            return bus.Nak(bus.retry_delay(delivery.attempt))
        metrics.DELIVERIES.labels(event.model, outcome).inc()
        return bus.ACK

    def _display(self, model: str) -> str:
        spec = self._registry.get(model)
        return spec.display_name if spec else model
