"""Answers of the person timeline and the live event feed (``domain/people.py``, ``domain/live_feed.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from customersignal.domain.dashboard_models import EventRow


@dataclass(frozen=True)
class Identity:
    """The person resolved: the user (if any) and their anonymous ids."""

    user_id: str | None
    anonymous_ids: tuple[str, ...]
    resolved_from_anonymous_id: str | None = None


@dataclass(frozen=True)
class TypeStats:
    event_type: str
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class LiveRow:
    """An event of the live feed with its Kafka position, which orders arrivals within a partition."""

    row: EventRow
    partition: int
    offset: int


@dataclass(frozen=True)
class LiveCursor:
    """Where a follower of the live feed is: the server time of its last poll, and per Kafka partition the
    offset of the last event it was given."""

    issued_at: datetime
    offsets: dict[int, int]


class TypeCount(BaseModel):
    type: str
    count: int


class Person(BaseModel):
    user_id: str | None = Field(description="The identified user; null for an anonymous visitor never identified.")
    anonymous_ids: list[str] = Field(description="Every anonymous id that is this person (linked to the user).")
    first_seen: datetime
    last_seen: datetime
    event_count: int
    counts_by_type: list[TypeCount] = Field(description="Most frequent type first.")


class PersonProfile(BaseModel):
    person: Person
    resolved_from_anonymous_id: str | None = Field(
        description="Set when the request named an anonymous id that is linked to a user: the answer is that user's."
    )


class PersonEventPage(BaseModel):
    user_id: str | None
    anonymous_ids: list[str]
    resolved_from_anonymous_id: str | None
    events: list[EventRow]
    next_cursor: str | None


class LivePage(BaseModel):
    events: list[EventRow] = Field(description="Events stored since the cursor, newest arrival first.")
    next_cursor: str = Field(description="Pass as 'after' on the next poll.")
    has_more: bool = Field(description="More arrived than 'limit': poll again at once to catch up.")
    lateness_seconds: int = Field(description="Events stored later than this after their event time are not shown.")
