#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server.

    python scripts/with_postgres.py CMD [ARGS...]

Starts a private PostgreSQL cluster in a temporary folder (127.0.0.1 only, a free port, trust auth,
durability switched off for speed), creates the database `tongzhan`, runs CMD with
DATABASE_URL=postgres://tongzhan@127.0.0.1:PORT/tongzhan, then stops the server, removes the folder
and exits with CMD's exit code.

Without PostgreSQL server binaries it prints a notice and exits 0, so `make test` still works on a
laptop with SQLite only; with CI=true it exits 1 instead, because CI must not skip silently.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user via runuser.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOT_FOUND = "PostgreSQL not found: skipping the PostgreSQL run (install postgresql to run it)"
USER = "tongzhan"
DATABASE = "tongzhan"
READY_TIMEOUT = 60.0
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


class SetupError(Exception):
    """The throwaway server could not be set up; the message says why."""


def log(message: str) -> None:
    print(f"with_postgres: {message}", file=sys.stderr, flush=True)


def _has_server(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version_key(path: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin
    return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.name)) or (0,)


def find_bindir() -> Path | None:
    """pg_config's bindir if it holds the server programs, else the highest /usr/lib/postgresql/*/bin."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            bindir = Path(out.stdout.strip())
            if _has_server(bindir):
                return bindir
        except (OSError, subprocess.CalledProcessError):
            pass
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_server(Path(candidate)):
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


class Server:
    def __init__(self, bindir: Path, keep: Path | None = None):
        self.bindir = bindir
        # TONGZHAN_PG_KEEP=DIR keeps the cluster in DIR between runs (the benchmark's million people).
        self.keep = keep
        self.as_root = os.geteuid() == 0
        self.tmp: Path | None = None
        self.port = 0
        self.started = False

    # The server-side programs run as `postgres` when we are root; the clients run as ourselves.
    def _server_cmd(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / program), *args]
        if self.as_root:
            return ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, cmd: list[str], *, what: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(
                cmd, cwd=self.tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True
            )
        except OSError as exc:
            raise SetupError(f"{what} failed: {exc}") from exc
        if check and result.returncode != 0:
            raise SetupError(f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    @property
    def data(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "data"

    @property
    def logfile(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "server.log"

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
        )
        return out.stdout.strip() or f"PostgreSQL in {self.bindir}"

    def start(self) -> None:
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            self.tmp = self.keep.resolve()
        else:
            self.tmp = Path(tempfile.mkdtemp(prefix="tongzhan-pg-"))
        if self.as_root:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise SetupError("running as root needs a 'postgres' user to run the server as") from exc
            if not shutil.which("runuser"):
                raise SetupError("running as root needs runuser (util-linux) to drop to the postgres user")
            os.chown(self.tmp, pw.pw_uid, pw.pw_gid)

        base = ["-D", str(self.data), "-A", "trust", "-U", USER, "--encoding=UTF8", "--no-sync"]
        reuse = (self.data / "PG_VERSION").exists()
        first = None if reuse else self._run(
            self._server_cmd("initdb", *base, "--locale=C.UTF-8"), what="initdb", check=False)
        if first is not None and first.returncode != 0:
            log("initdb with --locale=C.UTF-8 failed; retrying with --no-locale")
            if self.data.exists():
                shutil.rmtree(self.data, ignore_errors=True)
            self._run(self._server_cmd("initdb", *base, "--no-locale"), what="initdb --no-locale")

        self.port = free_port()
        settings = dict(SERVER_SETTINGS, port=str(self.port), unix_socket_directories=str(self.tmp))
        if self.keep is not None:  # a benchmark cluster: memory sized like a modest production server
            settings.update(shared_buffers="2GB", effective_cache_size="8GB", work_mem="16MB")
        conf = "".join(f"{key} = '{value}'\n" for key, value in settings.items())
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as handle:
            handle.write("\n# with_postgres.py: throwaway test server\n" + conf)

        self._run(
            self._server_cmd("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-W", "start"),
            what="pg_ctl start",
        )
        self.started = True
        self._wait_ready()
        self._run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE],
            what="createdb", check=not reuse,
        )

    def _wait_ready(self) -> None:
        pg_isready = str(self.bindir / "pg_isready")
        cmd = [pg_isready, "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", "postgres"]
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if subprocess.run(cmd, stdin=subprocess.DEVNULL, check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise SetupError(
            f"PostgreSQL did not accept connections on 127.0.0.1:{self.port} within {READY_TIMEOUT:.0f} s."
            f"\nServer log:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.logfile.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        try:
            if self.started:
                result = self._run(
                    self._server_cmd("pg_ctl", "-D", str(self.data), "-m", "fast" if self.keep else "immediate",
                                     "-w", "stop"),
                    what="pg_ctl stop",
                    check=False,
                )
                if result.returncode != 0:
                    log(f"pg_ctl stop failed:\n{result.stdout}{result.stderr}")
                self.started = False
        finally:
            if self.tmp is not None and self.keep is None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.tmp = None


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2

    bindir = find_bindir()
    if bindir is None:
        if ci():
            print(f"{NOT_FOUND} — CI=true, so this is an error", file=sys.stderr, flush=True)
            return 1
        print(NOT_FOUND, flush=True)
        return 0

    keep = os.environ.get("TONGZHAN_PG_KEEP")
    server = Server(bindir, Path(keep) if keep else None)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        print(f"with_postgres: using {server.version()} ({bindir})", flush=True)
        server.start()
        env = dict(os.environ, DATABASE_URL=f"postgres://{USER}@127.0.0.1:{server.port}/{DATABASE}")
        try:
            code = subprocess.run(argv, env=env, check=False).returncode
        except OSError as exc:
            log(f"cannot run {argv[0]}: {exc}")
            return 127
        # A command killed by a signal reports -N; exit the way a shell would (128 + N).
        return 128 - code if code < 0 else code
    except SetupError as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        log("interrupted; stopping the server")
        return 130
    finally:
        # Ctrl-C during clean-up must not leave a server running or a folder behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
