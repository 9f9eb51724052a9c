"""Adapters: the only modules that do I/O (boto3, pg8000, redis, confluent-kafka)."""
