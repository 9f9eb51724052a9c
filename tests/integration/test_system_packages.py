"""The setup's Debian package step (infra/local/packages.sh, the list `make up`, `make test` and CI share).

A missing package is installed when the step may (root, or passwordless sudo), and otherwise named with the
one command that installs it, failing at once. These run the real script against the real dpkg and apt.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "local" / "packages.sh"
ABSENT = "customersignal-no-such-package"  # no Debian package has this name
SMALL = "hello"  # GNU Hello: a few hundred KB, nothing depends on it


def dpkg_installed(name: str) -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False)
    return "install ok installed" in status.stdout


@pytest.fixture
def script_dir() -> Iterator[Path]:
    """The script in a folder any user can read, since one test runs it as an unprivileged user."""
    folder = Path(tempfile.mkdtemp(prefix="cs-packages-"))
    folder.chmod(0o755)
    copy = folder / "packages.sh"
    shutil.copy(SCRIPT, copy)
    copy.chmod(copy.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def write_list(folder: Path, lines: str) -> Path:
    path = folder / "list.txt"
    path.write_text("# name group why\n" + lines)
    path.chmod(0o644)
    return path


def run(folder: Path, listing: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(folder / "packages.sh"), *args]
    if user:
        command = ["runuser", "-u", user, "--", *command]
    env = {**os.environ, "CS_PACKAGES_FILE": str(listing)}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=900)


def test_the_shared_list_is_installed_on_this_machine() -> None:
    """`make test` installed the run and test groups before any test ran: the list is the one that was used."""
    result = subprocess.run([SCRIPT, "check", "run", "test"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"missing after `make test`'s install step: {result.stdout}"


def test_check_names_only_the_missing_packages_of_the_groups_asked(script_dir: Path) -> None:
    listing = write_list(script_dir, f"bash run\n{ABSENT} run # why\n{ABSENT}-bench bench\n")
    result = run(script_dir, listing, "check", "run")
    assert result.returncode == 1
    assert result.stdout.split() == [ABSENT]
    assert run(script_dir, write_list(script_dir, "bash run\n"), "check", "run").returncode == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the step as an unprivileged user, which needs root to arrange")
def test_without_root_or_sudo_a_missing_package_is_named_with_the_command_and_nothing_else_runs(
    script_dir: Path,
) -> None:
    listing = write_list(script_dir, f"bash run\n{ABSENT} run\n")
    result = run(script_dir, listing, "install", "run", user="nobody")
    assert result.returncode == 2, result.stderr
    assert f"missing Debian packages: {ABSENT}" in result.stderr
    assert f"sudo apt-get install -y --no-install-recommends {ABSENT}" in result.stderr
    assert "installing" not in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="installs a Debian package, which needs root")
def test_as_root_a_missing_package_is_installed(script_dir: Path) -> None:
    if dpkg_installed(SMALL):
        subprocess.run(["apt-get", "remove", "-y", "-qq", SMALL], capture_output=True, check=True)
    assert not dpkg_installed(SMALL)
    listing = write_list(script_dir, f"bash run\n{SMALL} run\n")
    result = run(script_dir, listing, "install", "run")
    assert result.returncode == 0, result.stderr
    assert f"installing Debian packages: {SMALL}" in result.stdout
    assert dpkg_installed(SMALL)
    assert run(script_dir, listing, "install", "run").stdout == ""  # nothing left to do: silent
