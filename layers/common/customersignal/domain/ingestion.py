"""Accepting a planned batch: rate limit, then hand the valid events to Kafka.

The plan (parsing, validation, time correction) is pure and lives in ``ingest`` / ``segment``; this step
applies the two side effects through their ports, in the order that keeps the promise "accepted means
Kafka has it": nothing is published once the limit says no, and nothing is answered before ``publish``
returns.
"""

from __future__ import annotations

import math

from customersignal.domain.auth import Principal
from customersignal.domain.errors import PayloadTooLarge, RateLimited
from customersignal.domain.ingest import IngestPlan
from customersignal.domain.tracing import TraceContext
from customersignal.ports import EventPublisher, RateDecision, RateLimiter


def accept(
    plan: IngestPlan, principal: Principal, trace: TraceContext, *, limiter: RateLimiter, publisher: EventPublisher
) -> RateDecision:
    cost = max(1, len(plan.results))  # every event counts, rejected or not: validation costs us too
    if cost > principal.rate_limit_burst:
        raise PayloadTooLarge(
            "over_burst",
            f"{cost} events exceed this project's burst of {principal.rate_limit_burst}: send smaller batches",
        )
    decision = limiter.acquire(principal.project_id, cost, principal.rate_limit_per_s, principal.rate_limit_burst)
    if not decision.allowed:
        raise RateLimited(
            "rate_limited",
            f"over this project's rate of {principal.rate_limit_per_s:g} events/s; retry after the delay",
            None,
            max(1, math.ceil(decision.retry_after_s)),
            decision.limit,
            decision.remaining,
            decision.reset_after_s,
        )
    publisher.publish(plan.envelopes, traceparent=trace.traceparent, spread=principal.kafka_spread)
    return decision
