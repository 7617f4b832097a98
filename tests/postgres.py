"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary directory, listening on a
unix socket in that directory only (no TCP port to collide with), stopped and removed at the end.

The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`, installed by `make postgres`) or,
elsewhere, the `initdb` on PATH. PostgreSQL refuses to run as root: when the tests run as root,
the server runs as `nobody` (through `runuser`), in a directory handed to that user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the server's own directory
UNPRIVILEGED = "nobody"


def binaries() -> Path | None:
    """The directory of the newest installed `initdb` and `pg_ctl`, or None."""
    debian = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    found = sorted(debian, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


class PostgresServer:
    """A running server: URLs of its databases, a fresh database per call of `new_database`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.directory}&port={PORT}"

    def new_database(self) -> str:
        import psycopg

        name = f"tppo_test_{next(self._numbers)}"
        with psycopg.connect(host=str(self.directory), port=PORT, user="postgres", autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _run(command: list[str | Path], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{result.stdout}{result.stderr}")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server for the block; skip (naming `make postgres`) only if none is installed."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed: `make postgres` installs Debian's postgresql")
    directory = Path(tempfile.mkdtemp(prefix="tppo-pg-"))
    as_user: list[str | Path] = []
    if os.geteuid() == 0:  # postgres will not run as root
        user = pwd.getpwnam(UNPRIVILEGED)
        os.chown(directory, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
    data = directory / "data"
    initdb = ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
    _run([*as_user, bin_dir / "initdb", *initdb], directory)
    options = f"-c listen_addresses='' -c unix_socket_directories={directory} -c port={PORT} -c fsync=off"
    pg_ctl = [*as_user, bin_dir / "pg_ctl", "-D", data, "-l", directory / "server.log"]
    try:
        _run([*pg_ctl, "-o", options, "-w", "-t", "60", "start"], directory)
        yield PostgresServer(directory)
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "immediate", "-w", "stop"], cwd=directory, capture_output=True, timeout=60
        )
        shutil.rmtree(directory, ignore_errors=True)
