"""The topics follow the settings, so a renamed topic is renamed everywhere."""

from __future__ import annotations

import pytest

from customersignal.settings import KafkaSettings
from customersignal.topology import EVENTS_PARTITIONS, required_topics

pytestmark = pytest.mark.unit


def test_required_topics_follow_the_settings() -> None:
    settings = KafkaSettings(kafka_events_topic="ev", kafka_dlq_topic="dlq")
    assert required_topics(settings) == {"ev": EVENTS_PARTITIONS, "dlq": 3}
    assert EVENTS_PARTITIONS == 12
