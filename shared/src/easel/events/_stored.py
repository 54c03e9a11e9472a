"""Where an image is: events name an object in the NATS Object Store, never carry bytes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StoredImage(BaseModel):
    """An image in the Object Store; the bytes never travel inside an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: str = Field(description="the Object Store bucket it is in; readers open that one")
    object_name: str = Field(
        description="the job id; `<job id>.init` for the photo a job starts from"
    )
    size: int = Field(ge=1, description="bytes")
    content_type: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
