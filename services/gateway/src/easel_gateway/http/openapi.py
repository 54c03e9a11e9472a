"""The API's OpenAPI 3.1 document, built from the routes' pydantic bodies (pure). Served at
/openapi.json; docs/openapi.json is written from it, and `just lint` fails on drift."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from easel_gateway.http import schemas

_MODELS: tuple[type[BaseModel], ...] = (
    schemas.ErrorBody,
    schemas.ImagesRequest,
    schemas.ImagesResponse,
    schemas.JobAccepted,
    schemas.JobList,
    schemas.JobRequest,
    schemas.JobView,
    schemas.ModelList,
)
_ERRORS = {
    "400": "Bad input: the field is named in `error.param`",
    "401": "Missing or unknown key",
    "404": "Unknown, or another key's",
    "409": "Conflict (see `error.code`)",
    "413": "Body over 64 KiB",
    "429": "Rate limit or fair share; see `Retry-After`",
    "502": "The backend failed (see `error.code`)",
    "503": "Unavailable, try again",
    "504": "Not ready in time",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _operation(
    summary: str,
    ok: tuple[str, dict[str, Any]],
    errors: tuple[str, ...],
    body: type[BaseModel] | None = None,
    *,
    keyed: bool = True,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {ok[0]: ok[1]}}
    for status in errors:
        operation["responses"][status] = _json(schemas.ErrorBody, _ERRORS[status])
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if not keyed:
        operation["security"] = []
    if parameters:
        operation["parameters"] = parameters
    return operation


_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
_IMAGE = {"description": "The image", "content": {"image/*": {}}}


def document() -> dict[str, Any]:
    _, generated = models_json_schema(
        [(model, "serialization") for model in _MODELS],
        ref_template="#/components/schemas/{model}",
    )
    sse = {
        "description": "Server-Sent Events: `event: job`, `id:` a revision, `data:` a JobView;"
        " ends after a final state; resumes after `Last-Event-ID`",
        "content": {"text/event-stream": {}},
    }
    idempotency = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Easel", "version": "1"},
        "components": {
            "schemas": generated["$defs"],
            "securitySchemes": {"key": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"key": []}],
        "paths": {
            "/v1/images/generations": {
                "post": _operation(
                    "Make images and wait for them (OpenAI-compatible)",
                    ("200", _json(schemas.ImagesResponse, "The images")),
                    ("400", "401", "413", "429", "502", "503", "504"),
                    schemas.ImagesRequest,
                )
            },
            "/v1/models": {
                "get": _operation(
                    "The models", ("200", _json(schemas.ModelList, "The models")), ("401",)
                )
            },
            "/v1/jobs": {
                "post": _operation(
                    "Start a job; answered at once",
                    ("202", _json(schemas.JobAccepted, "Accepted")),
                    ("400", "401", "409", "413", "429", "503"),
                    schemas.JobRequest,
                    parameters=[idempotency],
                ),
                "get": _operation(
                    "The key's jobs, newest first",
                    ("200", _json(schemas.JobList, "The jobs")),
                    ("400", "401"),
                    parameters=[limit],
                ),
            },
            "/v1/jobs/{job_id}": {
                "get": _operation(
                    "A job",
                    ("200", _json(schemas.JobView, "The job")),
                    ("401", "404"),
                    parameters=[_JOB_ID],
                ),
                "delete": _operation(
                    "Cancel a job",
                    ("200", _json(schemas.JobView, "Cancelled")),
                    ("401", "404", "409"),
                    parameters=[_JOB_ID],
                ),
            },
            "/v1/jobs/{job_id}/events": {
                "get": _operation(
                    "A job's changes", ("200", sse), ("401", "404"), parameters=[_JOB_ID]
                )
            },
            "/v1/jobs/{job_id}/image": {
                "get": _operation(
                    "A job's image", ("200", _IMAGE), ("401", "404"), parameters=[_JOB_ID]
                )
            },
            "/files/{job_id}": {
                "get": _operation(
                    "An API job's image by its unguessable id (no key)",
                    ("200", _IMAGE),
                    ("404",),
                    keyed=False,
                    parameters=[_JOB_ID],
                )
            },
        },
    }
