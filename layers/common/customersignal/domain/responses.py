"""Response bodies of the ingestion API: what the handlers return, and what the OpenAPI document describes.

- ``IngestResponse``: the answer to a request that was read. One ``EventResult`` per event, in request order;
  accepted events are in Kafka by the time it is sent.
- ``SegmentResponse``: the same, plus Segment's ``success`` convention (see ``customersignal.domain.segment``).
- ``ErrorResponse``: a whole-request failure, ``{"error": {"code", "message", "field"}, "request_id",
  "trace_id"}``. No event of such a request was accepted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from customersignal.domain.errors import DomainError
from customersignal.domain.ingest import EventResult, IngestPlan


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    request_id: str = Field(description="This request's id: quote it when asking about the request.")
    trace_id: str = Field(description="W3C trace id (32 hex digits); the accepted envelopes carry it too.")


class IngestResponse(_Response):
    """The verdict on every event of the request; accepted events are already in Kafka."""

    accepted: int = Field(ge=0, description="How many events were accepted.")
    rejected: int = Field(ge=0, description="How many events were rejected.")
    results: list[EventResult] = Field(description="One per event, in request order.")


class SegmentResponse(IngestResponse):
    """IngestResponse plus Segment's conventions, for the Segment-compatible endpoints."""

    success: bool = Field(description="Segment's flag: true when at least one event was accepted.")
    code: str | None = Field(default=None, description="When every event was rejected: the first event's code.")
    message: str | None = Field(default=None, description="When every event was rejected: a summary.")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    code: str = Field(description="Stable, machine-readable, e.g. malformed_json, request_too_large.")
    message: str = Field(description="What went wrong and what to do next.")
    field: str | None = Field(default=None, description="The part of the request at fault, when there is one.")


class ErrorResponse(BaseModel):
    """A whole-request failure: no event of the request was accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    error: ErrorDetail
    request_id: str = Field(description="This request's id: quote it when asking about the request.")
    trace_id: str = Field(description="W3C trace id (32 hex digits).")


def ingest_response(plan: IngestPlan, request_id: str, trace_id: str) -> IngestResponse:
    return IngestResponse(
        request_id=request_id,
        trace_id=trace_id,
        accepted=plan.accepted,
        rejected=plan.rejected,
        results=plan.results,
    )


def error_response(error: DomainError, request_id: str, trace_id: str) -> ErrorResponse:
    return ErrorResponse(
        request_id=request_id,
        trace_id=trace_id,
        error=ErrorDetail(code=error.code, message=error.message, field=error.field),
    )
