"""Pure domain code: typed, no I/O, no boto3/redis/pg8000/Kafka imports (a test enforces it)."""
