"""The real-server fixtures of ``tests/servers.py`` are real: SQL runs on PostgreSQL, objects round-trip on S3."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import botocore.exceptions
import httpx
import psycopg
import pytest

if TYPE_CHECKING:  # imported for real only by pytest_plugins below, so pytest rewrites its asserts
    from .servers import PostgresServer, S3Bucket, S3Server

# The fixtures, by plugin rather than by import: an imported fixture that a test names as a parameter
# reads to ruff as an unused import redefined (F401, F811).
pytest_plugins = ("tests.servers",)


#: The databases and buckets the tests before saw, to show that they are gone afterwards.
_seen: list[str] = []


def test_postgres_url_is_a_fresh_database_of_its_own(postgres_url: str) -> None:
    _seen.append(postgres_url.rsplit("/", 1)[1])
    with psycopg.connect(postgres_url, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (postgres_url.rsplit("/", 1)[1],)
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
        conn.execute("CREATE TABLE runs (id serial PRIMARY KEY, note text)")
        conn.execute("INSERT INTO runs (note) VALUES ('hello')")
        assert conn.execute("SELECT note FROM runs").fetchall() == [("hello",)]
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None and int(version[0]) >= 130000  # DROP DATABASE … WITH (FORCE) needs 13


def test_postgres_is_on_loopback_with_the_fast_test_settings(postgres_server: PostgresServer) -> None:
    assert postgres_server.url.startswith("postgresql://postgres@127.0.0.1:")
    with postgres_server.connect() as conn:
        shown = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in ("fsync", "listen_addresses")}
    assert shown == {"fsync": "off", "listen_addresses": "127.0.0.1"}


def test_each_test_gets_another_database(postgres_url: str, postgres_server: PostgresServer) -> None:
    with postgres_server.connect() as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    assert postgres_url.rsplit("/", 1)[1] in names
    assert _seen and not names & set(_seen)  # the earlier test's database was dropped


def test_an_object_round_trips_through_the_bucket(s3_bucket: S3Bucket) -> None:
    _seen.append(s3_bucket.bucket)
    client = s3_bucket.client()
    client.put_object(Bucket=s3_bucket.bucket, Key="a/b.txt", Body=b"hello", ContentType="text/plain")
    got = client.get_object(Bucket=s3_bucket.bucket, Key="a/b.txt")
    assert (got["Body"].read(), got["ContentType"]) == (b"hello", "text/plain")
    # The server is a separate process on loopback, reached over HTTP.
    assert s3_bucket.endpoint.startswith("http://127.0.0.1:")
    assert s3_bucket.region == "us-east-1"


def test_the_s3_server_checks_signatures(s3_bucket: S3Bucket) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3_bucket.client(secret_access_key="not-the-secret").put_object(Bucket=s3_bucket.bucket, Key="k", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    # Unsigned is refused too (moto answers 500 where AWS says 403: it looks for the missing signature).
    unsigned = httpx.put(f"{s3_bucket.endpoint}/{s3_bucket.bucket}/k", content=b"x", trust_env=False, timeout=5)
    assert unsigned.status_code >= 400
    assert "Contents" not in s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)


def test_each_test_gets_another_bucket(s3_bucket: S3Bucket, s3_server: S3Server) -> None:
    names = {b["Name"] for b in s3_server.client().list_buckets()["Buckets"]}
    assert s3_bucket.bucket in names
    assert "Contents" not in s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)
    assert not names & set(_seen)  # the earlier tests' buckets were emptied and removed
    assert s3_server.secret_access_key not in repr(s3_bucket) + repr(s3_server)


def test_a_started_process_dies_with_the_one_that_started_it() -> None:
    """A test run killed from outside leaves no app or server of its own running (``die_with_parent``)."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "from tests.processes import die_with_parent\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
            " preexec_fn=die_with_parent)\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    child = int(parent.stdout.readline())
    os.kill(child, 0)  # running
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # A reaped-by-init zombie still answers kill(0) for a moment; /proc says whether it is gone.
        try:
            if Path(f"/proc/{child}/stat").read_text().split(")")[1].split()[0] == "Z":
                return
        except OSError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its killed parent")
