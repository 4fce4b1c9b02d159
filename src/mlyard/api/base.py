"""The camelCase convention of the wire, as in Azure's REST API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A response body: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class RequestModel(WireModel):
    """A request body: unknown fields are refused, so that a typo is an error, not a no-op."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", serialize_by_alias=True)


class ErrorDetail(WireModel):
    code: str
    message: str
    target: str | None = None


class ErrorBody(WireModel):
    error: ErrorDetail
