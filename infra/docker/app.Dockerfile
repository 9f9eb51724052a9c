# The CustomerSignal processes for `docker compose` (docker-compose.yml): the API behind the local API
# Gateway, the Kafka event-source mapping, the alert scheduler and the migrations. The same code and
# template.yaml as `make up` runs natively; only the hosts differ (the compose service names).
# the dashboard, built once into static files that the API serves on the same origin (as CloudFront does)
FROM node:22.21-bookworm-slim AS dashboard
WORKDIR /dashboard
COPY dashboard/package.json dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY dashboard ./
RUN npm run build

FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# dependencies first, so a code change does not reinstall them
COPY requirements.txt requirements-local.txt ./
RUN pip install --no-cache-dir -r requirements.txt -r requirements-local.txt

COPY pyproject.toml template.yaml ./
COPY layers/common layers/common
COPY functions functions
COPY migrations migrations
COPY --from=dashboard /dashboard/dist dashboard/dist
RUN pip install --no-cache-dir --no-deps -e . && useradd --create-home --uid 10001 app && mkdir -p /app/.state/run \
    && chown -R app /app/.state
USER app

# every process reads template.yaml as Lambda's wiring, as `make up` does
CMD ["python", "-m", "customersignal.local.serve", "--template", "template.yaml", "--host", "0.0.0.0"]
