"""The API's bodies, as OpenAI's images API names them; fields Easel does not know are
ignored, as OpenAI's clients send some (`quality`, `style`) that not every model takes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from easel.events import MAX_NEGATIVE_CHARS, SEED_MAX

MAX_IMAGES = 4


class ImagesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str | None = Field(default=None, max_length=64, description="default: the first")
    prompt: str = Field(max_length=32_000, description="the Telegram path's rules apply")
    n: int = Field(default=1, ge=1, le=MAX_IMAGES)
    size: str | None = Field(default=None, pattern=r"^\d{2,5}x\d{2,5}$", description="WxH")
    response_format: Literal["b64_json", "url"] = "b64_json"
    user: str | None = Field(default=None, max_length=256, description="the end user")


class ImageData(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = Field(default=None, description="the enhanced prompt")


class ImagesResponse(BaseModel):
    created: int
    data: list[ImageData]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "easel"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class JobRequest(BaseModel):
    """POST /v1/jobs: one image, answered at once with the job's id."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model: str | None = Field(default=None, max_length=64, description="default: the first")
    prompt: str = Field(max_length=32_000, description="the Telegram path's rules apply")
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        description="POSTed the final view, signed `Easel-Signature: sha256=<HMAC>`",
    )
    size: str | None = Field(default=None, max_length=16, description="WxH, one of the model's")
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX)
    negative_prompt: str | None = Field(
        default=None, min_length=1, max_length=MAX_NEGATIVE_CHARS, description="what not to show"
    )
    steps: int | None = Field(default=None, ge=1, le=150, description="where the backend takes it")

    def flags(self) -> dict[str, str]:
        """The parameters as the Telegram path writes them, for the same checks."""
        given = {"size": self.size, "seed": self.seed, "no": self.negative_prompt}
        given["steps"] = self.steps
        return {flag: str(value) for flag, value in given.items() if value is not None}


class JobLinks(BaseModel):
    self: str
    image: str


class JobView(BaseModel):
    """A job as its owner sees it: the job view, with where it stands in line."""

    id: str
    model: str
    state: Literal[
        "queued", "enhancing", "waiting", "generating", "succeeded", "failed", "cancelled"
    ]
    position: int | None = Field(default=None, description="1: next, while waiting")
    estimate_seconds: float | None = Field(default=None, description="until the image")
    progress: int | None = Field(
        default=None, description="0–100 of the render while generating, where the backend says"
    )
    prompt: str = Field(description="as the client sent it, cleaned")
    revised_prompt: str | None = Field(default=None, description="the prompt the model saw")
    created_at: str
    updated_at: str
    error: str | None = Field(default=None, description="Easel's error code, once failed")
    parameters: dict[str, str | int | float] = Field(
        default_factory=dict, description="size, seed, negative_prompt, steps: as the model takes"
    )
    links: JobLinks


class JobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobView]


class JobAccepted(BaseModel):
    id: str
    links: JobLinks


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorBody(BaseModel):
    """OpenAI's error body."""

    error: ErrorDetail
