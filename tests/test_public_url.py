"""An app that knows its public address serves temporary images and callbacks beside Gradio.

On a Space the address comes from SPACE_HOST; elsewhere from PUBLIC_BASE_URL. Here the "public"
address is the app's own loopback port, which the test allows the self host to use.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from playground.app import create_playground
from playground.media import prepare_image
from playground.net import SelfHost
from playground.settings import Settings, SettingsError, public_base_url_from_env

from .processes import free_port


def test_the_public_address_comes_from_the_setting_or_the_space() -> None:
    assert public_base_url_from_env({"SPACE_HOST": "team-veo.hf.space"}) == "https://team-veo.hf.space"
    assert (
        public_base_url_from_env({"SPACE_HOST": "x.hf.space", "PUBLIC_BASE_URL": "https://veo.example/"})
        == "https://veo.example"
    )
    assert public_base_url_from_env({"SPACE_HOST": "private.hf.space", "PUBLIC_BASE_URL": "none"}) is None
    assert public_base_url_from_env({}) is None
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        public_base_url_from_env({"PUBLIC_BASE_URL": "veo.example"})


async def test_the_app_serves_its_temporary_images_and_callback_route(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(demo=True, data_dir=tmp_path, public_base_url=base)
    playground = create_playground(settings, env={"UPLOAD_HOSTS": "self"})
    playground.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=port)
    try:
        (host,) = playground.context.frames.live_chain.hosts
        assert isinstance(host, SelfHost)
        host.allow_private_base = True  # loopback stands in for the public address here
        picture = io.BytesIO()
        Image.new("RGB", (1280, 720), (20, 90, 200)).save(picture, "PNG")
        hosted = await playground.context.frames.live_chain.host(prepare_image(picture.getvalue(), "blue.png"))
        assert hosted.url.startswith(f"{base}/media/tmp/") and "1 h" in hosted.summary()
        async with httpx.AsyncClient() as http:
            served = await http.get(hosted.url)
            assert served.status_code == 200 and served.headers["content-type"] == "image/png"
            assert served.content == prepare_image(picture.getvalue(), "blue.png").data
            assert (await http.get(f"{base}/media/tmp/{'x' * 32}.png")).status_code == 404
            assert (await http.post(f"{base}/hooks/wave/not-a-ticket", json={"id": "t"})).status_code == 404
            ticket = playground.context.callbacks.open()
            assert ticket.url.startswith(f"{base}/hooks/wave/")
            assert (await http.post(ticket.url, json={"id": "t"})).status_code < 300
            assert ticket.wake.is_set()
    finally:
        playground.close()


def test_a_live_run_asks_the_provider_to_call_back_here(sim, tmp_path: Path) -> None:
    from gradio_client import Client

    from .conftest import TEST_KEY

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(api_key=TEST_KEY, base_url=sim.base_url, data_dir=tmp_path, public_base_url=base)
    playground = create_playground(settings, env={})
    playground.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", server_port=port)
    try:
        videos, task = Client(base, verbose=False).predict(
            "a kite over the dunes", "veo3.1-fast-official", 4, api_name="/generate"
        )
        (sent,) = sim.sim.submissions()
        assert sent.body["callback_url"].startswith(f"{base}/hooks/wave/")
        assert task["status"] == "completed" and videos
        assert playground.context.callbacks.open_count == 0, "a finished run closes its ticket"
        # Copying or re-running a past run never reuses that run's one-off callback route.
        assert "callback_url" not in playground.context.tracker.visitor_body(sent.body)
    finally:
        playground.close()
