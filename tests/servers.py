"""Real servers for the tests that need one: Debian's PostgreSQL and moto's S3, each on a free loopback port.

A test file names this module as a plugin, and its tests then ask for the fixtures by name::

    pytest_plugins = ("tests.servers",)

(Importing a fixture works for pytest too, but ruff then reads each test that names it as a parameter as
redefining an unused import, F811 as well as F401; the plugin line leaves nothing for it to flag.)

* ``postgres_url`` - a fresh empty database per test on one PostgreSQL server per worker process.
* ``s3_bucket``    - a fresh bucket per test on one moto S3 server per worker process; the server checks
  every request's SigV4 signature, so a signing mistake (or a wrong secret) fails as it would on AWS.
* ``postgres_server`` / ``s3_server`` - the servers themselves, for a test that needs more than one
  database or bucket.

Each server starts on first use and stops when pytest ends (``config.add_cleanup``), not through a fixture
the test file would also have to import: importing ``postgres_url`` alone is enough. Under pytest-xdist each
worker is its own process and so starts its own servers, on ports of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from .processes import die_with_parent, free_port

#: How long a server may take to start before the fixture gives up and shows its log.
START_SECONDS = 30.0
REGION = "us-east-1"

# -- started once per process, stopped at the end of the session ---------------------------------

_T = TypeVar("_T")
_shared: dict[str, Any] = {}


def _once(config: pytest.Config, name: str, start: Callable[[], _T], stop: Callable[[_T], None]) -> _T:
    if name not in _shared:
        try:
            _shared[name] = start()
        except (Exception, pytest.fail.Exception) as exc:
            # Remembered, so the tests after the first fail at once instead of each waiting out a start.
            _shared[name] = exc
            raise
        server = _shared[name]
        config.add_cleanup(lambda: stop(server))
    found = _shared[name]
    if isinstance(found, BaseException):
        pytest.fail(f"the {name} server did not start earlier in this session: {found}")
    return found


# -- PostgreSQL ----------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    started_in: float = 0.0

    @property
    def url(self) -> str:
        """The server's URL base: add ``/<database>``."""
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else "(no server log)"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(f"{self.url}/{database}", autocommit=True, connect_timeout=5)


def postgres_bin_dir() -> Path:
    """Debian keeps each major version's binaries apart; the newest installed one is used."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL is missing (no /usr/lib/postgresql/*/bin/initdb): run `bash tests/install.sh` first")
    return found[-1].parent


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root (CI runs as root): run them as Debian's postgres user.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], root: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    # cwd: a folder the postgres user may enter (it cannot enter /root or the checkout).
    return subprocess.run(
        _as_postgres(argv), cwd=root, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


def start_postgres() -> PostgresServer:
    started = time.monotonic()
    bin_dir = postgres_bin_dir()
    # Not under pytest's tmp_path: its base folder is root's, mode 0700, which the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="playground-pg-"))
    try:
        if os.geteuid() == 0:
            try:
                shutil.chown(root, "postgres", "postgres")
            except LookupError:
                pytest.fail(
                    "PostgreSQL refuses to run as root, and there is no postgres user to run it as: "
                    "run `bash tests/install.sh` (Debian's postgresql package adds the user)"
                )
        data = root / "data"
        options = ["-U", "postgres", "-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"]
        initdb = [str(bin_dir / "initdb"), "-D", str(data), *options]
        done = _run(initdb, root, timeout=120)
        if done.returncode:
            pytest.fail(f"initdb failed:\n{done.stdout}{done.stderr}")
        # No passwords: the server listens on loopback only, and its socket is in a folder of its own.
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        # fsync and co off: durability costs time and buys nothing when the folder is deleted afterwards.
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
        }
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        server = _start_on_a_free_port(PostgresServer(root, 0, bin_dir))
        server.started_in = time.monotonic() - started
        return server
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _start_on_a_free_port(server: PostgresServer) -> PostgresServer:
    pg_ctl, data, log = str(server.bin_dir / "pg_ctl"), str(server.root / "data"), str(server.root / "server.log")
    for _ in range(3):  # the port is free when picked; another process may still take it before postgres does
        server.port = free_port()
        done = _run(
            [pg_ctl, "-D", data, "-l", log, "-w", "-t", str(int(START_SECONDS)), "-o", f"-p {server.port}", "start"],
            server.root,
            timeout=START_SECONDS + 10,
        )
        if done.returncode == 0:
            break
        if "could not bind" not in server.log and "already in use" not in server.log:
            pytest.fail(f"PostgreSQL did not start:\n{done.stdout}{done.stderr}\n--- server log ---\n{server.log}")
    else:
        pytest.fail(f"PostgreSQL found no free port in 3 tries\n--- server log ---\n{server.log}")
    _wait_for_postgres(server)
    return server


def _wait_for_postgres(server: PostgresServer) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with server.connect() as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                log = server.log  # read before stopping removes it
                stop_postgres(server)
                pytest.fail(
                    f"PostgreSQL did not accept connections in {START_SECONDS:.0f} s: {exc}\n--- server log ---\n{log}"
                )
            time.sleep(0.1)


def stop_postgres(server: PostgresServer) -> None:
    # Immediate: nothing in a test database needs a clean shutdown.
    with contextlib.suppress(subprocess.TimeoutExpired):
        _run(
            [str(server.bin_dir / "pg_ctl"), "-D", str(server.root / "data"), "-m", "immediate", "stop"],
            server.root,
            timeout=30,
        )
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> PostgresServer:
    return _once(request.config, "postgres", start_postgres, stop_postgres)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``postgresql://postgres@127.0.0.1:PORT/NAME``: a database of this test's own, dropped afterwards."""
    server = _once(request.config, "postgres", start_postgres, stop_postgres)
    name = f"test_{uuid.uuid4().hex[:16]}"
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.url}/{name}"
    finally:
        # FORCE: a connection pool the test left open must not keep the database alive.
        with server.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- S3 (moto) -----------------------------------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)
    started_in: float = 0.0
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no server log)"

    def client(self, service: str = "s3", secret_access_key: str | None = None) -> Any:
        """A botocore client for this server (path-style addressing, as S3-compatible services want)."""
        secret = secret_access_key or self.secret_access_key or "test"
        key = (service, self.access_key_id, secret)
        if key not in self._clients:  # a client costs ~0.3 s of model loading; one of each is plenty
            import botocore.session
            from botocore.config import Config

            self._clients[key] = botocore.session.Session().create_client(
                service,
                region_name=REGION,
                endpoint_url=self.endpoint,
                aws_access_key_id=self.access_key_id or "test",
                aws_secret_access_key=secret,
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
            )
        return self._clients[key]


@dataclass(frozen=True)
class S3Bucket:
    """What a test passes to the code under test: where the bucket is and the keys that open it."""

    endpoint: str
    bucket: str
    region: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    server: S3Server = field(repr=False, compare=False)

    def client(self, secret_access_key: str | None = None) -> Any:
        return self.server.client(secret_access_key=secret_access_key)


def start_s3() -> S3Server:
    started = time.monotonic()
    log_path = Path(tempfile.mkdtemp(prefix="playground-s3-")) / "moto.log"
    for _ in range(3):  # as for PostgreSQL: another process may take the port between picking and binding
        port = free_port()
        with log_path.open("wb") as log:
            # A subprocess, not moto's in-process server: the code under test talks to a real separate server.
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = S3Server(f"http://127.0.0.1:{port}", process, log_path)
        if _wait_for_s3(server):
            break
    else:
        log = server.log  # read before stopping removes it
        stop_s3(server)
        pytest.fail(f"the moto S3 server did not start:\n{log}")
    try:
        _require_signatures(server)
    except BaseException:
        stop_s3(server)
        raise
    server.started_in = time.monotonic() - started
    return server


def _wait_for_s3(server: S3Server) -> bool:
    """True once it answers; False when it exited (its port was taken, most likely)."""
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(trust_env=False, timeout=2) as http:  # no proxy between us and loopback
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if http.get(f"{server.endpoint}/moto-api/data.json").status_code == 200:
                    return True
            time.sleep(0.1)
    log = server.log  # read before stopping removes it
    stop_s3(server)
    pytest.fail(f"the moto S3 server did not answer in {START_SECONDS:.0f} s:\n{log}")


def _require_signatures(server: S3Server) -> None:
    """Makes moto check signatures as AWS does, for a user allowed everything on S3.

    moto accepts any signature until told otherwise, so a wrong secret would pass. IAM only knows keys it
    made itself, so the keys are moto's (``AKIA…``), not fixed strings.
    """
    iam = server.client("iam")
    iam.create_user(UserName="playground-tests")
    key = iam.create_access_key(UserName="playground-tests")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="playground-tests", PolicyName="s3", PolicyDocument=json.dumps(policy))
    server.access_key_id, server.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]
    # From now on every request is authenticated (0 unauthenticated actions left).
    httpx.post(f"{server.endpoint}/moto-api/reset-auth", content=b"0", trust_env=False, timeout=5).raise_for_status()


def stop_s3(server: S3Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
    shutil.rmtree(server.log_path.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    return _once(request.config, "s3", start_s3, stop_s3)


@pytest.fixture
def s3_bucket(request: pytest.FixtureRequest) -> Iterator[S3Bucket]:
    """A bucket of this test's own on the moto server, emptied and removed afterwards."""
    server = _once(request.config, "s3", start_s3, stop_s3)
    name = f"test-{uuid.uuid4().hex[:16]}"
    client = server.client()
    client.create_bucket(Bucket=name)
    try:
        yield S3Bucket(server.endpoint, name, REGION, server.access_key_id, server.secret_access_key, server)
    finally:
        # The server keeps objects in memory for the whole session: give back what this test stored.
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)
