"""A real PostgreSQL server for the database tests (Debian's `postgresql`, installed by `./dev test`).

initdb refuses to run as root, so as root the server runs as the `postgres` system user
(the Debian package creates it). Each test session gets its own cluster in a temporary
folder, listening on a free loopback port; it is stopped at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    port: int
    datadir: Path
    proc: subprocess.Popen

    @property
    def socket_dir(self) -> str:
        return str(self.datadir)

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start() -> PgServer:
    bins = bindir()
    if bins is None:
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="sre-pg-"))
    datadir = base / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        # initdb (run as `postgres`) writes to /dev/null; some sandboxes (this one included)
        # keep resetting it to 0600. 0666 is its mode on every Linux system.
        if os.stat("/dev/null").st_mode & 0o777 != 0o666:
            os.chmod("/dev/null", 0o666)
        user = pwd.getpwnam("postgres")
        os.chmod(base, 0o755)
        datadir.mkdir()
        os.chown(datadir, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*prefix, str(bins / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [*prefix, str(bins / "postgres"), "-D", str(datadir), "-p", str(port), "-k", str(datadir),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "wal_level=logical",
         "-c", "max_replication_slots=4", "-c", "max_connections=40"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = PgServer(port, datadir, proc)
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(server.superuser_dsn(), connect_timeout=2).close()
            return server
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                server.stop()
                raise RuntimeError(f"postgres did not start: {err[-2000:]}")
            time.sleep(0.1)
