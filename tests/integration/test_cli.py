"""The ``customersignal`` command line, end to end against a fresh migrated database."""

from __future__ import annotations

import re

import pytest
import redis

from customersignal.adapters.key_cache import cache_key
from customersignal.cli import main
from customersignal.domain.auth import hash_key
from customersignal.settings import PostgresSettings
from tests.contract import unused_port

pytestmark = pytest.mark.integration

SECRET = re.compile(r"^\s+(cs_[A-Za-z0-9_-]{40,})$", re.MULTILINE)


@pytest.fixture(autouse=True)
def cli_database(pg_settings: PostgresSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI's settings (read from the environment, as in real use) at this test's database."""
    monkeypatch.setenv("CS_PG_DATABASE", pg_settings.pg_database)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_create_tenant_project_key_then_list_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    # Create a tenant and a project (slug made from the name)
    code, out, _ = run(capsys, "tenant", "create", "--name", "Acme Corp", "--slug", "acme")
    assert code == 0
    assert "Created tenant acme" in out
    code, out, _ = run(capsys, "project", "create", "--tenant", "acme", "--name", "Web App", "--rate-limit", "50")
    assert code == 0
    assert "acme/web-app" in out
    assert "50 events/s, burst 100" in out

    # Create a key: the secret appears once, with the warning
    code, out, _ = run(
        capsys, "key", "create", "--tenant", "acme", "--project", "web-app", "--scopes", "ingest,read", "--name", "iOS"
    )
    assert code == 0
    [secret] = SECRET.findall(out)
    assert "Store it now; it cannot be shown again." in out
    prefix = secret[:11]

    # List: an aligned table with the prefix, never the secret
    code, out, _ = run(capsys, "key", "list", "--tenant", "acme")
    assert code == 0
    header, row = out.rstrip("\n").split("\n")
    assert header.split()[:4] == ["PREFIX", "PROJECT", "NAME", "SCOPES"]
    assert row.split()[:4] == [prefix, "web-app", "iOS", "ingest,read"]
    assert header.index("STATUS") == row.index("active")  # columns line up
    assert secret not in out
    assert "never" in row  # not used yet

    # Revoke by prefix; revoking again is fine; the list shows it revoked
    code, out, _ = run(capsys, "key", "revoke", "--tenant", "acme", prefix)
    assert code == 0
    assert f"Revoked key {prefix}" in out
    assert run(capsys, "key", "revoke", "--tenant", "acme", prefix)[0] == 0
    _, out, _ = run(capsys, "key", "list", "--tenant", "acme")
    assert "revoked" in out.split("\n")[1]


def test_an_unknown_tenant_is_an_error_that_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "key", "list", "--tenant", "nobody")
    assert code == 1
    assert out == ""
    assert err.startswith("error: no tenant with slug 'nobody'")
    assert "customersignal tenant create --name NAME --slug nobody" in err


def test_an_unknown_project_names_the_command_that_creates_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "tenant", "create", "--name", "Acme", "--slug", "acme")[0] == 0
    code, _, err = run(capsys, "key", "create", "--tenant", "acme", "--project", "web", "--scopes", "ingest")
    assert code == 1
    assert "has no project 'web'" in err
    assert "customersignal project create --tenant acme --name NAME --slug web" in err


def test_a_duplicate_slug_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "tenant", "create", "--name", "Acme", "--slug", "acme")[0] == 0
    code, out, err = run(capsys, "tenant", "create", "--name", "Acme 2", "--slug", "acme")
    assert code == 1
    assert out == ""
    assert err == "error: a tenant with slug 'acme' already exists; choose another slug\n"


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["tenant"], "required"),
        (["tenant", "create", "--name", "Acme"], "--slug"),
        (["key", "create", "--tenant", "a", "--project", "p", "--scopes", "ingest,write"], "unknown scope write"),
        (["project", "create", "--tenant", "a", "--name", "P", "--burst", "0"], "at least 1"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert complaint in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "key", "--help")
    assert code == 0
    assert "revoke" in out


def test_demo_is_repeatable_and_quiet_prints_only_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--quiet")
    assert code == 0
    first = out.strip()
    assert re.fullmatch(r"cs_[A-Za-z0-9_-]{40,}", first)
    code, out, _ = run(capsys, "demo")
    assert code == 0
    [second] = SECRET.findall(out)
    assert second != first
    _, out, _ = run(capsys, "key", "list", "--tenant", "demo")
    assert [line.split()[0] for line in out.strip().split("\n")[1:]] == [first[:11], second[:11]]


def test_postgres_down_is_explained(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pg_settings: PostgresSettings
) -> None:
    port = unused_port()
    monkeypatch.setenv("CS_PG_PORT", str(port))
    code, _, err = run(capsys, "key", "list", "--tenant", "acme")
    assert code == 1
    assert err == f"error: cannot reach Postgres at {pg_settings.pg_host}:{port} — is it running? try `make services`\n"


def test_a_missing_database_is_explained(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CS_PG_DATABASE", "cs_no_such_database")
    code, _, err = run(capsys, "key", "list", "--tenant", "acme")
    assert code == 1
    assert "database 'cs_no_such_database' does not exist" in err


def create_key(capsys: pytest.CaptureFixture[str]) -> str:
    assert run(capsys, "tenant", "create", "--name", "Acme", "--slug", "acme")[0] == 0
    assert run(capsys, "project", "create", "--tenant", "acme", "--name", "Web")[0] == 0
    _, out, _ = run(capsys, "key", "create", "--tenant", "acme", "--project", "web", "--scopes", "ingest")
    [secret] = SECRET.findall(out)
    return str(secret)


def test_revoking_drops_the_key_from_the_shared_cache(
    capsys: pytest.CaptureFixture[str], redis_client: redis.Redis
) -> None:
    # Given a key the API has cached in Redis
    secret = create_key(capsys)
    entry = cache_key(hash_key(secret))
    redis_client.set(entry, b"cached", ex=60)
    # When it is revoked
    code, _, err = run(capsys, "key", "revoke", "--tenant", "acme", secret[:11])
    # Then the shared entry is gone, so containers re-read it at their next local refresh
    assert code == 0
    assert err == ""
    assert redis_client.exists(entry) == 0


def test_revoking_with_redis_down_still_revokes_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = create_key(capsys)
    monkeypatch.setenv("CS_REDIS_URL", f"redis://127.0.0.1:{unused_port()}/0")
    code, out, err = run(capsys, "key", "revoke", "--tenant", "acme", secret[:11])
    assert code == 0
    assert "Revoked key" in out
    assert err.startswith("note: could not clear it from the Redis key cache")
    _, out, _ = run(capsys, "key", "list", "--tenant", "acme")
    assert "revoked" in out
