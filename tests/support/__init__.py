"""Plain helpers for tests (no fixtures): import them where needed."""
