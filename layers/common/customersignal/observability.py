"""Logger and metrics, one of each per process (Powertools: JSON logs, CloudWatch EMF metrics).

Metric names are part of the operations contract (README, "Observability"). Locally, EMF output is off
(``POWERTOOLS_METRICS_DISABLED``) so the dev server's stdout stays readable.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "customersignal"
NAMESPACE = "CustomerSignal"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
