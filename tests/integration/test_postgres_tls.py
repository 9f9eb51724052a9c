"""TLS to Postgres (``pg_sslmode``), against a real Postgres of our own that only accepts TLS connections.

RDS turns ``rds.force_ssl`` on by default; a deployment can also ask us to verify the server's certificate.
The scratch server here gets a certificate from a throwaway CA, ``ssl = on``, and a pg_hba rule that rejects
every connection without TLS, so a successful connection or migration proves TLS was used.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pg8000.native
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from customersignal.adapters.postgres import connect
from customersignal.settings import PlatformSettings
from tests.fixtures.aws import free_port
from tests.fixtures.services import ROOT, STACK

pytestmark = pytest.mark.integration


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue(ca_name: str, server_ip: str) -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate, server key), PEM; the server's SAN is ``server_ip``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name(ca_name)).issuer_name(_name(ca_name))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder().subject_name(_name("customersignal-test-postgres")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(server_ip))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(serialization.Encoding.PEM), server.public_bytes(serialization.Encoding.PEM), key_pem


def run_stack(action: str, env: dict[str, str]) -> None:
    done = subprocess.run([STACK, action, "postgres"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def tls_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformSettings, Path]]:
    """(settings for a TLS-only Postgres on its own port, the CA file that signed its certificate)."""
    state = Path(tempfile.mkdtemp(prefix="cs-pg-tls-", dir="/var/tmp"))
    state.chmod(0o755)
    env = {**os.environ, "CS_STATE_DIR": str(state), "CS_PG_PORT": str(free_port())}
    run_stack("up", env)
    data = state / "postgres" / "data"
    ca_pem, cert_pem, key_pem = issue("customersignal test CA", "127.0.0.1")
    (data / "server.crt").write_bytes(cert_pem)
    (data / "server.key").write_bytes(key_pem)
    (data / "server.key").chmod(0o600)
    if os.geteuid() == 0:  # the server runs as Debian's postgres user, who must own its key
        shutil.chown(data / "server.crt", "postgres", "postgres")
        shutil.chown(data / "server.key", "postgres", "postgres")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
    hba = data / "pg_hba.conf"
    hba.write_text("hostnossl all all all reject\n" + hba.read_text())  # first match wins: no TLS, no entry
    run_stack("down", env)  # a restart: ssl = on takes a reload, and the hba rule must apply to everyone
    run_stack("up", env)
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca_file.write_bytes(ca_pem)
    own = PlatformSettings().model_copy(update={"pg_port": int(env["CS_PG_PORT"]), "pg_host": "127.0.0.1"})
    yield own, ca_file
    subprocess.run([STACK, "down", "postgres"], env=env, capture_output=True, check=False)
    shutil.rmtree(state, ignore_errors=True)


def uses_tls(db: pg8000.native.Connection) -> bool:
    return bool(db.run("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0][0])


@pytest.mark.parametrize("mode", ["prefer", "require"])
def test_unverified_modes_get_tls_from_a_server_that_offers_it(
    tls_postgres: tuple[PlatformSettings, Path], mode: str
) -> None:
    own, _ = tls_postgres
    db = connect(own.model_copy(update={"pg_sslmode": mode}))
    assert uses_tls(db)
    db.close()


def test_verify_full_accepts_the_certificate_its_ca_signed(tls_postgres: tuple[PlatformSettings, Path]) -> None:
    own, ca_file = tls_postgres
    db = connect(own.model_copy(update={"pg_sslmode": "verify-full", "pg_sslrootcert": ca_file}))
    assert uses_tls(db)
    db.close()


def test_verify_full_refuses_a_certificate_from_another_ca(
    tls_postgres: tuple[PlatformSettings, Path], tmp_path: Path
) -> None:
    own, _ = tls_postgres
    stranger = tmp_path / "other-ca.pem"
    stranger.write_bytes(issue("someone else's CA", "127.0.0.1")[0])
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        connect(own.model_copy(update={"pg_sslmode": "verify-full", "pg_sslrootcert": stranger}))


def test_verify_full_refuses_a_host_name_the_certificate_does_not_carry(
    tls_postgres: tuple[PlatformSettings, Path],
) -> None:
    own, ca_file = tls_postgres  # the certificate names 127.0.0.1 only
    with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|match"):
        connect(own.model_copy(update={"pg_host": "localhost", "pg_sslmode": "verify-full", "pg_sslrootcert": ca_file}))


def test_require_refuses_a_server_without_tls(settings: PlatformSettings) -> None:
    # the local stack's own Postgres has no TLS: "prefer" falls back to plaintext, "require" refuses
    connect(settings.model_copy(update={"pg_sslmode": "prefer"})).close()
    with pytest.raises(pg8000.exceptions.InterfaceError, match="Server refuses SSL"):
        connect(settings.model_copy(update={"pg_sslmode": "require"}))


def test_migrations_connect_with_the_same_tls_settings(tls_postgres: tuple[PlatformSettings, Path]) -> None:
    own, ca_file = tls_postgres
    env = {
        **os.environ,
        "CS_PG_HOST": own.pg_host,
        "CS_PG_PORT": str(own.pg_port),
        "CS_PG_SSLMODE": "verify-full",
        "CS_PG_SSLROOTCERT": str(ca_file),
    }
    alembic = [sys.executable, "-m", "alembic", "-c", "migrations/alembic.ini", "upgrade", "head"]
    done = subprocess.run(alembic, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    db = connect(own.model_copy(update={"pg_sslmode": "verify-full", "pg_sslrootcert": ca_file}))
    assert db.run("SELECT count(*)::int FROM alembic_version") == [[1]]
    db.close()
