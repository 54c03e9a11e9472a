"""What every kind takes and gives back, and the reading of a base64 image that the JSON
kinds share."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from easel.events import ErrorCode
from easel.images import image_type
from easel_generator import verdicts


@dataclass(frozen=True)
class Photo:
    """The picture an image-to-image job starts from."""

    data: bytes
    content_type: str

    @property
    def filename(self) -> str:
        """A name whose extension says the format: upload endpoints go by it."""
        return "photo." + self.content_type.removeprefix("image/").replace("jpeg", "jpg")


@dataclass(frozen=True)
class Render:
    """What one job asks of its backend."""

    prompt: str
    size: str | None = None  # WxH; None: the backend's own
    params: dict[str, str | int | float | bool] = field(default_factory=dict)
    photo: Photo | None = None  # image-to-image: start from it (`strength` in params)
    # Told how far the render has come (0–100), by the kinds whose backend says so.
    progress: Callable[[int], None] = field(default=lambda _: None, compare=False)

    def report(self, done: float) -> None:
        """`done` of the render (0.0–1.0), as the backend reported it."""
        self.progress(max(0, min(100, int(done * 100))))

    @property
    def width_height(self) -> tuple[int, int] | None:
        if self.size is None:
            return None
        width, _, height = self.size.partition("x")
        return int(width), int(height)


@dataclass(frozen=True)
class Rendered:
    data: verdicts.Body
    content_type: str  # from the bytes
    seed: int | None = None  # when the backend reports the one it used


@dataclass(frozen=True)
class Answer:
    """One attempt's outcome: the HTTP status that decided it (for the metrics), the
    verdict, and the image with a Success."""

    status: int
    verdict: verdicts.Verdict
    image: Rendered | None = None


class Kind(Protocol):
    async def attempt(self, render: Render) -> Answer:
        """One try. httpx.RequestError (network, timeout) propagates: the caller retries."""
        ...


def base64_image(status: int, encoded: object, where: str, seed: int | None = None) -> Answer:
    """The verdict on an image a JSON answer carries in base64 at `where` (pure)."""
    try:
        if not isinstance(encoded, str):
            raise TypeError(type(encoded).__name__)
        data = base64.b64decode(encoded, validate=True)
    except (ValueError, TypeError, binascii.Error):
        return Answer(status, verdicts.Failure(ErrorCode.INVALID_IMAGE, f"{where}: no base64"))
    content_type = image_type(data)
    if content_type is None:
        failure = verdicts.Failure(ErrorCode.INVALID_IMAGE, f"{where}: not an image")
        return Answer(status, failure)
    return Answer(status, verdicts.Success(content_type), Rendered(data, content_type, seed))
