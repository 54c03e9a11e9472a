"""The photos jobs start from, in the Object Store beside the generated images, named
`<job id>.init`: fetched from Telegram once per job (a request taken over or redelivered
finds its photo stored already), and named in the job's events, never carried in them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from easel.events import StoredImage
from easel.images import ImageWriter, image_type


class PhotoUnavailable(Exception):
    """The photo could not be had from Telegram: refused, too big, cut off, not a picture."""


class NotAnImage(PhotoUnavailable):
    """What Telegram gave is not a picture a backend could read."""


class PhotoStore:
    def __init__(self, writer: ImageWriter) -> None:
        self._writer = writer

    async def store(
        self, job_id: str, download: Callable[[], Awaitable[bytes]], *, taken_over: bool
    ) -> StoredImage:
        """The job's photo, stored. Only a request taken over can find it stored already (by
        the handler that died), so only then is it looked for first, and not downloaded
        again. PhotoUnavailable when Telegram will not give it; the store's errors as they
        are."""
        name = f"{job_id}.init"
        if taken_over and (found := await self._writer.find(name)) is not None:
            return found.image
        data = await download()
        content_type = image_type(data)
        if content_type is None:
            raise NotAnImage(name)
        return await self._writer.put(name, data, content_type, generation_seconds=0.0)

    async def kept(self, image: StoredImage) -> bool:
        """Whether a job's photo is still stored (the bucket's TTL takes it in time)."""
        return await self._writer.find(image.object_name) is not None
