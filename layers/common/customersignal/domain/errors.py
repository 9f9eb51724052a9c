"""Domain errors. Each edge maps them to its protocol in exactly one place (HTTP: functions/api)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DomainError(Exception):
    """Base class: ``code`` is machine-readable and stable; ``message`` says what to do next."""

    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class MalformedRequest(DomainError):
    """The request as a whole cannot be read (bad JSON, not an object, wrong shape)."""


class Unprocessable(DomainError):
    """Well-formed, but a value cannot be used: a bad filter, or a query the raw path cannot answer in time."""


class Unauthenticated(DomainError):
    """No key, or a key we do not know."""


class Forbidden(DomainError):
    """A known key that may not do this: revoked, or missing the scope."""


class PayloadTooLarge(DomainError):
    """Over the request limits (bytes or number of events)."""


class UnsupportedMediaType(DomainError):
    """Not JSON."""


class NotFound(DomainError):
    """The resource does not exist for this tenant."""


class Conflict(DomainError):
    """The request conflicts with the current state (duplicate slug, ...)."""


@dataclass(frozen=True)
class RetryableError(DomainError):
    """The caller should retry after ``retry_after_s`` seconds; nothing was accepted."""

    retry_after_s: int = 1


@dataclass(frozen=True)
class RateLimited(RetryableError):
    """The project is over its rate; the numbers become the RateLimit-* response headers."""

    limit: int = 0
    remaining: int = 0
    reset_after_s: float = 0.0


class Unavailable(RetryableError):
    """A dependency (Kafka, the key store) is unavailable."""
