"""The media bucket (``playground/net/bucket.py``): ``PLAYGROUND_MEDIA_URL`` read, and files put, fetched and
looked up on a real S3 server (moto, in its own process on loopback, checking every signature)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from playground.net import MEDIA_URL, Bucket, BucketConfig, BucketError, parse_media_url

if TYPE_CHECKING:  # imported for real only by pytest_plugins below, so pytest rewrites its asserts
    from .servers import S3Bucket

# The fixtures, by plugin rather than by import: an imported fixture that a test names as a parameter
# reads to ruff as an unused import redefined (F401, F811).
pytest_plugins = ("tests.servers",)

KEYS = {"S3_ACCESS_KEY_ID": "AKIDEXAMPLE", "S3_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


def config_for(s3: S3Bucket, prefix: str = "media/veo", secret: str | None = None) -> BucketConfig:
    env = {
        "S3_ENDPOINT": s3.endpoint,
        "S3_REGION": s3.region,
        "S3_ACCESS_KEY_ID": s3.access_key_id,
        "S3_SECRET_ACCESS_KEY": secret or s3.secret_access_key,
    }
    config = parse_media_url(f"s3://{s3.bucket}/{prefix}", env)
    assert config is not None
    return config


# -- PLAYGROUND_MEDIA_URL --------------------------------------------------------------------------


def test_an_empty_media_url_keeps_media_in_the_local_folder() -> None:
    assert parse_media_url("", KEYS) is None
    assert parse_media_url("   ", {}) is None


def test_a_media_url_on_aws_by_default() -> None:
    config = parse_media_url("s3://veo-media/team/videos/", {**KEYS, "S3_REGION": "eu-west-1"})
    assert config == BucketConfig(
        endpoint="https://s3.eu-west-1.amazonaws.com",
        bucket="veo-media",
        prefix="team/videos/",
        region="eu-west-1",
        access_key_id="AKIDEXAMPLE",
        secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
        path_style=False,  # AWS prefers virtual-hosted names
    )


def test_a_dotted_bucket_on_aws_is_addressed_by_path() -> None:
    # bucket.with.dots.s3.amazonaws.com would fail the certificate's *.s3.amazonaws.com wildcard.
    config = parse_media_url("s3://veo.media.example/v", KEYS)
    assert config is not None and config.path_style
    assert Bucket(config).object_url("a.mp4") == "https://s3.us-east-1.amazonaws.com/veo.media.example/v/a.mp4"


def test_a_media_url_on_another_s3_service() -> None:
    config = parse_media_url("s3://media", {**KEYS, "S3_ENDPOINT": "http://minio.internal:9000/"})
    assert config is not None
    assert (config.endpoint, config.prefix, config.region, config.path_style) == (
        "http://minio.internal:9000",
        "",
        "us-east-1",
        True,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://bucket/prefix",
        "s3://",
        "s3://Bad_Bucket/x",
        "s3://ab/x",
        "s3://AKIDEXAMPLE:hunter2@bucket/x",
        "https://AKIDEXAMPLE:hunter2@bucket/x",
        "s3://[bucket/hunter2",
        "s3://bucket:hunter2/x",
        "s3://bucket:9000/x",
        "s3://bucket/x?versionId=1",
        "s3://bucket/a//b",
        "s3://bucket/a/../b",
    ],
)
def test_a_bad_media_url_is_refused_by_name(url: str) -> None:
    with pytest.raises(ValueError, match=MEDIA_URL) as refused:
        parse_media_url(url, KEYS)
    assert "hunter2" not in str(refused.value)  # a URL with a secret in it is never quoted back


def test_a_media_url_needs_the_keys() -> None:
    with pytest.raises(ValueError, match="PLAYGROUND_MEDIA_URL is set, so S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"):
        parse_media_url("s3://media/veo", {})
    with pytest.raises(ValueError, match="so S3_SECRET_ACCESS_KEY must be too"):
        parse_media_url("s3://media/veo", {"S3_ACCESS_KEY_ID": "AKIDEXAMPLE", "S3_SECRET_ACCESS_KEY": " "})


def test_a_bad_endpoint_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="S3_ENDPOINT"):
        parse_media_url("s3://media", {**KEYS, "S3_ENDPOINT": "minio.internal:9000"})


def test_the_secret_stays_out_of_repr() -> None:
    config = parse_media_url("s3://media/veo", KEYS)
    assert config is not None
    bucket = Bucket(config)
    for shown in (repr(config), str(config), repr(bucket)):
        assert KEYS["S3_SECRET_ACCESS_KEY"] not in shown
    assert repr(bucket) == "Bucket(endpoint='https://s3.us-east-1.amazonaws.com', bucket='media', prefix='veo/')"


def test_virtual_hosted_and_path_style_addresses() -> None:
    aws = parse_media_url("s3://media/veo", KEYS)
    other = parse_media_url("s3://media/veo", {**KEYS, "S3_ENDPOINT": "http://127.0.0.1:9000"})
    assert aws is not None and other is not None
    assert Bucket(aws).object_url("a b+c.mp4") == "https://media.s3.us-east-1.amazonaws.com/veo/a%20b%2Bc.mp4"
    assert Bucket(other).object_url("v/1.mp4") == "http://127.0.0.1:9000/media/veo/v/1.mp4"
    for bad in ("", "/abs.mp4", "a/../b.mp4", "new\nline"):
        with pytest.raises(ValueError, match="not a media key"):
            Bucket(other).object_url(bad)


# -- on a real S3 server ---------------------------------------------------------------------------


async def test_a_2_mb_file_round_trips(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    source.write_bytes(os.urandom(2 * 1024 * 1024 + 17))  # more than one chunk, and not a whole number of them
    dest = tmp_path / "cache" / "videos" / "clip.mp4"
    async with Bucket(config_for(s3_bucket)) as bucket:
        assert not await bucket.exists("videos/clip.mp4")
        await bucket.put_file("videos/clip.mp4", source, "video/mp4")
        assert await bucket.exists("videos/clip.mp4")
        assert await bucket.get_file("videos/clip.mp4", dest)
    assert dest.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["clip.mp4"]  # no partial file left beside it
    stored = s3_bucket.client().head_object(Bucket=s3_bucket.bucket, Key="media/veo/videos/clip.mp4")
    assert (stored["ContentType"], stored["ContentLength"]) == ("video/mp4", 2 * 1024 * 1024 + 17)


async def test_a_missing_object_is_false_and_writes_nothing(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    dest = tmp_path / "poster.jpg"
    async with Bucket(config_for(s3_bucket)) as bucket:
        assert await bucket.get_file("posters/none.jpg", dest) is False
        assert await bucket.exists("posters/none.jpg") is False
    assert list(tmp_path.iterdir()) == []


async def test_a_wrong_secret_is_a_bucket_error_that_names_no_secret(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00" * 1000)
    wrong = "not-the-secret-0123456789"
    async with Bucket(config_for(s3_bucket, secret=wrong)) as bucket:
        with pytest.raises(BucketError) as put:
            await bucket.put_file("videos/clip.mp4", source, "video/mp4")
        with pytest.raises(BucketError) as get:
            await bucket.get_file("videos/clip.mp4", tmp_path / "back.mp4")
        with pytest.raises(BucketError) as head:
            await bucket.exists("videos/clip.mp4")
    assert (put.value.status, put.value.code) == (403, "SignatureDoesNotMatch")
    assert str(put.value) == (
        f"the media bucket {s3_bucket.bucket} answered HTTP 403 (SignatureDoesNotMatch) to PUT videos/clip.mp4"
    )
    assert get.value.status == 403 and head.value.status == 403  # a HEAD answer has no body to name a code
    for error in (put.value, get.value, head.value):
        assert wrong not in str(error) and s3_bucket.secret_access_key not in str(error)
    assert not (tmp_path / "back.mp4").exists()
    assert "Contents" not in s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)


async def test_the_prefix_is_put_before_every_key(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    source = tmp_path / "join.mp4"
    source.write_bytes(b"joined")
    async with Bucket(config_for(s3_bucket, "team-a")) as a, Bucket(config_for(s3_bucket, "team-b/")) as b:
        await a.put_file("boards/join.mp4", source, "video/mp4")
        await a.put_file("odd name+ü.mp4", source, "video/mp4")  # the key is encoded once, as SigV4 signs it
        assert await a.exists("boards/join.mp4") and await a.exists("odd name+ü.mp4")
        assert not await b.exists("boards/join.mp4")  # another prefix is another folder
        assert await a.get_file("odd name+ü.mp4", tmp_path / "back.mp4")
    listed = s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == ["team-a/boards/join.mp4", "team-a/odd name+ü.mp4"]
    assert (tmp_path / "back.mp4").read_bytes() == b"joined"


async def test_an_unreachable_bucket_is_a_bucket_error(tmp_path: Path) -> None:
    config = parse_media_url("s3://media/veo", {**KEYS, "S3_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"})
    assert config is not None
    async with Bucket(config) as bucket:
        with pytest.raises(BucketError, match=r"^the media bucket media at http://127\.0\.0\.1:\d+ could not be"):
            await bucket.exists("videos/clip.mp4")


async def test_a_download_cut_short_never_looks_complete(tmp_path: Path) -> None:
    async def half_then_gone():
        yield b"x" * 1000
        raise httpx.ReadError("connection reset")

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        return httpx.Response(200, headers={"content-length": "5000"}, content=half_then_gone())

    config = parse_media_url("s3://media/veo", {**KEYS, "S3_ENDPOINT": "http://s3.test"})
    assert config is not None
    dest = tmp_path / "clip.mp4"
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(BucketError, match="broke off GET videos/clip.mp4: ReadError"):
            await Bucket(config, client=client).get_file("videos/clip.mp4", dest)
        assert not client.is_closed  # a client it was given stays the caller's
    assert list(tmp_path.iterdir()) == []


def _closed_port() -> int:
    from .processes import free_port

    return free_port()
