"""The dashboard API's use cases other than metrics (those are in ``metrics_read``): who am I, the event
explorer, the catalog, dead letters and API keys. Pure: stores come in through ``read_ports``.

Authorization: reads need the ``read`` or the ``admin`` scope (admin implies read, so one key can run
the whole dashboard); edits need ``admin``. Every call is scoped to the key's own tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
from pydantic import BaseModel, ValidationError

from customersignal.domain.auth import Principal, Scope
from customersignal.domain.dashboard_models import (
    CatalogDetail,
    CatalogList,
    CatalogPatch,
    DeadLetterPage,
    EventDetail,
    EventPage,
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyOut,
    ReplayRequest,
    ReplayResponse,
)
from customersignal.domain.errors import Forbidden, MalformedRequest, NotFound
from customersignal.domain.explorer import EventFilter, LetterFilter, event_cursor, letter_cursor
from customersignal.domain.nul_text import NUL_MESSAGE, field_with_nul, holds_nul
from customersignal.read_ports import CatalogStore, DeadLetterStore, EventReader, KeyAdmin

READ_SCOPES = frozenset({Scope.READ, Scope.ADMIN})


def require_scope(principal: Principal, *, admin: bool) -> None:
    if admin and Scope.ADMIN not in principal.scopes:
        raise Forbidden("missing_scope", "this needs a key with the 'admin' scope")
    if not admin and not principal.scopes & READ_SCOPES:
        raise Forbidden("missing_scope", "the dashboard needs a key with the 'read' or 'admin' scope")


def parse_body[Body: BaseModel](model: type[Body], raw: bytes) -> Body:
    """A JSON body as ``model``; the 400 names the first offending field."""
    try:
        data = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError:
        raise MalformedRequest("malformed_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest("invalid_body", "the body must be a JSON object")
    if holds_nul(raw):
        field = field_with_nul(data)
        raise MalformedRequest("invalid_value", f"{field or 'the body'} {NUL_MESSAGE}", field)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise MalformedRequest(f"invalid_{error['type']}", f"{field}: {error['msg']}", field) from None


def explore_events(tenant_id: uuid.UUID, where: EventFilter, limit: int, events: EventReader) -> EventPage:
    rows = events.page(tenant_id, where, limit + 1)  # one extra row says whether a next page exists
    page, more = rows[:limit], len(rows) > limit
    cursor = event_cursor(page[-1].occurred_at, page[-1].event_id) if more else None
    return EventPage(events=page, next_cursor=cursor)


def event_detail(tenant_id: uuid.UUID, event_id: uuid.UUID, at: datetime | None, events: EventReader) -> EventDetail:
    if at is None:
        raise MalformedRequest(
            "missing_parameter", "'at' (the event's occurred_at, as the list gave it) is required", "at"
        )
    found = events.detail(tenant_id, event_id, at)
    if found is None:
        raise NotFound("event_not_found", f"no event {event_id} at {at.isoformat()} in this tenant", "event_id")
    return found


def catalog_list(tenant_id: uuid.UUID, status: str | None, q: str | None, catalog: CatalogStore) -> CatalogList:
    return CatalogList(event_types=catalog.list(tenant_id, status, q))


def catalog_detail(tenant_id: uuid.UUID, name: str, catalog: CatalogStore) -> CatalogDetail:
    found = catalog.detail(tenant_id, _event_type_name(name))
    if found is None:
        raise NotFound("event_type_not_found", f"the catalog has no event type '{name}'", "name")
    return found


def update_catalog(tenant_id: uuid.UUID, name: str, raw: bytes, catalog: CatalogStore) -> CatalogDetail:
    name = _event_type_name(name)
    patch = parse_body(CatalogPatch, raw)
    for field in ("description", "status"):
        if field in patch.model_fields_set and getattr(patch, field) is None:
            raise MalformedRequest(f"invalid_{field}", f"'{field}' cannot be null", field)
    if not patch.model_fields_set:
        raise MalformedRequest("invalid_body", "send at least one of description, owner, status")
    if not catalog.update(tenant_id, name, patch):
        raise NotFound("event_type_not_found", f"the catalog has no event type '{name}'", "name")
    return catalog_detail(tenant_id, name, catalog)


def _event_type_name(name: str) -> str:
    """The ``{name}`` path parameter: no event type holds a NUL (ingestion refuses it), and Postgres text cannot."""
    if "\x00" in name:
        raise MalformedRequest("invalid_name", f"'name' {NUL_MESSAGE}", "name")
    return name


def dead_letter_page(tenant_id: uuid.UUID, where: LetterFilter, limit: int, letters: DeadLetterStore) -> DeadLetterPage:
    rows = letters.page(tenant_id, where, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    return DeadLetterPage(
        dead_letters=page,
        counts_by_reason=letters.counts_by_reason(tenant_id, where.status),
        next_cursor=letter_cursor(page[-1].id) if more else None,
    )


def replay_dead_letters(tenant_id: uuid.UUID, raw: bytes, letters: DeadLetterStore) -> ReplayResponse:
    request = parse_body(ReplayRequest, raw)
    replayed = letters.replay(tenant_id, request.ids)
    return ReplayResponse(replayed=len(replayed), ids=replayed)


def list_keys(tenant_id: uuid.UUID, keys: KeyAdmin) -> KeyList:
    return KeyList(keys=keys.list(tenant_id))


def create_key(principal: Principal, raw: bytes, keys: KeyAdmin) -> KeyCreated:
    request = parse_body(KeyCreate, raw)
    project: str | uuid.UUID = request.project if request.project else principal.project_id
    created, secret = keys.create(principal.tenant_id, project, request.name, request.scopes)
    return KeyCreated(key=created, secret=secret)


def revoke_key(tenant_id: uuid.UUID, key_id: uuid.UUID, keys: KeyAdmin) -> KeyOut:
    revoked = keys.revoke(tenant_id, key_id)
    if revoked is None:
        raise NotFound("key_not_found", f"this tenant has no key {key_id}", "id")
    return revoked
