# Postgres for docker-compose.yml: the official image plus the hll extension (unique-user sketches,
# migration 0009). The image already carries the PGDG apt source, which ships postgresql-15-hll.
# POSTGRES_USER is a superuser here, so the migrations' CREATE EXTENSION hll just works.
FROM postgres:15.20-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-hll \
    && rm -rf /var/lib/apt/lists/*
