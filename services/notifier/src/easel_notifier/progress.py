"""`image.progress` → the status message: "🖼️ Generating with FLUX… 40%". The outbox
coalesces the edits under the bot's budget, and never takes a message back from a later
stage (a progress report that arrives after the photo changes nothing)."""

from __future__ import annotations

import nats.errors

from easel import bus
from easel.events import ImageProgress, TelegramRequester
from easel.jobs import Endings
from easel.settings import ModelRegistry
from easel_notifier import texts
from easel_notifier.outbox import Outbox
from easel_notifier.scheduler import Stage

decode_progress = bus.decoder(ImageProgress).validate_json


class ProgressHandler:
    def __init__(self, outbox: Outbox, registry: ModelRegistry, endings: Endings) -> None:
        self._outbox = outbox
        self._registry = registry
        self._endings = endings

    async def __call__(self, event: ImageProgress, delivery: bus.Delivery) -> bus.Outcome:
        requester = event.job.requester
        if not isinstance(requester, TelegramRequester):  # API clients read it from the view
            return bus.ACK
        try:
            ended = await self._endings.of(event.job_id) is not None
        except nats.errors.Error:
            return bus.ACK  # a courtesy: the next report, or the ending, says more
        # Another replica may have shown the ending already: its outbox, not this one's,
        # knows the message is finished.
        if not ended:
            spec = self._registry.get(event.model)
            model = spec.display_name if spec else event.model
            t = texts.texts_for(requester.language_code)
            self._outbox.edit(
                requester.chat_id,
                requester.status_message_id,
                texts.generating(t, model, percent=event.percent),
                Stage.GENERATING,
                cancel=t("button-cancel"),
            )
        return bus.ACK
