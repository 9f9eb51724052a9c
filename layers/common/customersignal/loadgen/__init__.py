"""The load generator behind ``customersignal loadgen``: a bounded, paced client of ``POST /v1/events`` that
records every acknowledged event id in a ledger, and the audit that checks a ledger against the stores.

- ``plan``: which events to send (pure, seeded);
- ``verdicts``: what an answer means for each event of a request, and when to retry (pure);
- ``ledger``: the append-only record of outcomes, flushed per request;
- ``sender``: HTTP with retries of the same request (the same event ids) until a deadline;
- ``runner``: the pacing, the worker threads and the counters;
- ``audit``: ledger vs Postgres vs Redis: lost, double-counted, wrongly stored (pure).
"""
