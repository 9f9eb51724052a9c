"""Response bodies: the shapes the API returns for a planned request and for a whole-request error."""

from __future__ import annotations

import orjson
import pytest

from customersignal.domain.errors import PayloadTooLarge
from customersignal.domain.responses import ErrorResponse, IngestResponse, error_response, ingest_response
from tests.unit.domain.support import TRACE_ID, event, event_id, plan

pytestmark = pytest.mark.unit


def test_ingest_response_counts_and_lists_every_event() -> None:
    # Given a request with one valid and one invalid event
    planned = plan({"events": [event(0), event(1, event_type="")]})
    # When the response is built and serialised
    body = orjson.loads(ingest_response(planned, "req-1", TRACE_ID).model_dump_json())
    # Then it has the documented shape, every key present
    assert body == {
        "request_id": "req-1",
        "trace_id": TRACE_ID,
        "accepted": 1,
        "rejected": 1,
        "results": [
            {
                "index": 0,
                "event_id": event_id(0),
                "status": "accepted",
                "code": None,
                "field": None,
                "message": None,
                "is_late": False,
            },
            {
                "index": 1,
                "event_id": event_id(1),
                "status": "rejected",
                "code": "invalid_value",
                "field": "events[1].event_type",
                "message": body["results"][1]["message"],
                "is_late": False,
            },
        ],
    }
    assert IngestResponse.model_validate(body).results[1].code == "invalid_value"


def test_error_response_wraps_a_domain_error() -> None:
    # Given a whole-request error
    error = PayloadTooLarge(code="too_many_events", message="events has 501 events", field="events")
    # When it is turned into a response body
    body = error_response(error, "req-2", TRACE_ID).model_dump(mode="json")
    # Then it is {"error": {code, message, field}, request_id, trace_id}
    assert body == {
        "error": {"code": "too_many_events", "message": "events has 501 events", "field": "events"},
        "request_id": "req-2",
        "trace_id": TRACE_ID,
    }
    assert list(ErrorResponse.model_fields) == ["error", "request_id", "trace_id"]
