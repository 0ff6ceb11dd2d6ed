"""Who a visitor is: accounts, trusted proxies, forged headers, and caps that fresh clients cannot reset.

The unit tests pin down what is believed from whom; the app tests send forged headers and fresh
``gradio_client`` clients at a real app on loopback and count what reached the simulator.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from gradio_client import Client

from playground.app import create_playground
from playground.runs import Account, AccountKind, RequestFacts, Visitors
from playground.runs.visitors import AllowList, Proxies, account_from_userinfo
from playground.settings import Settings
from playground.simulator import SimulatorServer

from .conftest import TEST_KEY

TEN = (ipaddress.ip_network("10.0.0.0/8"),)
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


def facts(peer: str, **headers: str) -> RequestFacts:
    return RequestFacts("session", peer, {k.replace("_", "-"): v for k, v in headers.items()})


# -- what is believed from whom ------------------------------------------------------------------


def test_forwarded_for_is_ignored_from_every_peer_when_no_proxy_is_trusted() -> None:
    proxies = Proxies(Settings())
    assert proxies.client_address(facts("127.0.0.1", x_forwarded_for="1.2.3.4")) == "127.0.0.1"
    assert proxies.client_address(facts("203.0.113.9", x_forwarded_for="1.2.3.4")) == "203.0.113.9"


def test_the_client_is_the_first_untrusted_hop_from_the_right() -> None:
    proxies = Proxies(Settings(trusted_proxies=TEN))
    # The client wrote "6.6.6.6" itself; the proxies appended what they saw.
    assert proxies.client_address(facts("10.0.0.2", x_forwarded_for="6.6.6.6, 198.51.100.7, 10.0.0.3")) == (
        "198.51.100.7"
    )
    assert proxies.client_address(facts("10.0.0.2")) == "10.0.0.2"
    assert proxies.client_address(facts("192.0.2.1", x_forwarded_for="198.51.100.7")) == "192.0.2.1"


def test_on_a_space_the_platform_proxy_is_trusted_without_setup() -> None:
    proxies = Proxies(Settings(on_space=True))
    assert proxies.client_address(facts("10.20.0.1", x_forwarded_for="6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert proxies.proxy_user(facts("10.20.0.1", x_forwarded_user="alice")) is None


def test_the_user_header_counts_only_from_a_trusted_proxy() -> None:
    trusting = Proxies(Settings(trusted_user_header="X-Forwarded-User", trusted_proxies=LOOPBACK))
    assert trusting.proxy_user(facts("127.0.0.1", x_forwarded_user="alice")) == "alice"
    assert trusting.proxy_user(facts("127.0.0.2", x_forwarded_user="alice")) is None
    unset = Proxies(Settings(trusted_user_header="X-Forwarded-User"))
    assert unset.proxy_user(facts("127.0.0.1", x_forwarded_user="alice")) is None


def test_an_account_comes_from_the_sign_in_userinfo_with_its_orgs() -> None:
    account = account_from_userinfo(
        {"sub": "42", "preferred_username": "Alice", "orgs": [{"preferred_username": "Acme"}, {"name": "x"}]}
    )
    assert account == Account(AccountKind.HUGGING_FACE, "Alice", "42", frozenset({"acme"}))
    assert account_from_userinfo({"sub": "42"}) is None and account_from_userinfo(None) is None


def test_owners_are_stable_and_never_shared_across_kinds_or_renames() -> None:
    hf = Account(AccountKind.HUGGING_FACE, "alice", "42")
    assert hf.owner == Account(AccountKind.HUGGING_FACE, "ALICE", "42").owner
    assert hf.owner != Account(AccountKind.PROXY, "alice").owner
    assert hf.owner != Account(AccountKind.HUGGING_FACE, "alice", "43").owner  # a new holder of the name


def test_the_allow_list_names_users_orgs_or_anyone_signed_in() -> None:
    alice = Account(AccountKind.HUGGING_FACE, "Alice", "1", frozenset({"acme"}))
    assert AllowList(frozenset(), frozenset()).refusal(None) is None
    assert "sign in" in (AllowList(frozenset({"alice"}), frozenset()).refusal(None) or "")
    assert AllowList(frozenset({"alice"}), frozenset()).refusal(alice) is None
    assert AllowList(frozenset(), frozenset({"acme"})).refusal(alice) is None
    assert AllowList(frozenset({"*"}), frozenset()).refusal(alice) is None
    refusal = AllowList(frozenset({"bob"}), frozenset({"other"})).refusal(alice)
    assert refusal is not None and "@Alice" in refusal


def test_anonymous_visitors_carry_a_hashed_address_and_signed_in_ones_none() -> None:
    visitors = Visitors(Settings(), b"k" * 32)
    anonymous = visitors.visitor("visitor-1", "session-1", facts("198.51.100.7"))
    assert anonymous.owner == "visitor-1" and anonymous.address and "198.51" not in anonymous.address
    assert visitors.visitor(None, "session-2", facts("198.51.100.7")).address == anonymous.address
    signed = visitors.visitor(
        "visitor-1", "session-1", RequestFacts("s", "198.51.100.7", {}, {"sub": "1", "preferred_username": "a"})
    )
    assert signed.signed_in and signed.address is None and signed.browser_owner == "visitor-1"
    assert signed.owner == Account(AccountKind.HUGGING_FACE, "a", "1").owner


# -- against the app ----------------------------------------------------------------------------


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, object]]:
    playground = create_playground(settings, env={})
    _, url, _ = playground.launch(prevent_thread_lock=True, quiet=True)
    try:
        yield url, playground.context
    finally:
        playground.close()


def _settings(sim: SimulatorServer, tmp_path: Path, **changes: object) -> Settings:
    # Demo runs (for callers kept off the server's key) finish in about a second, not a realistic 14.
    fast_demo = {"sim_queue_seconds": 0.2, "sim_processing_seconds": 0.8}
    return Settings(api_key=TEST_KEY, base_url=sim.base_url, data_dir=tmp_path, **fast_demo, **changes)  # type: ignore[arg-type]


def test_a_forged_user_header_from_an_untrusted_peer_is_ignored(sim: SimulatorServer, tmp_path: Path) -> None:
    alice = Account(AccountKind.PROXY, "alice").owner
    with served(_settings(sim, tmp_path / "a", trusted_user_header="X-Forwarded-User")) as (url, ctx):
        Client(url, verbose=False, headers={"X-Forwarded-User": "alice"}).predict(
            "a kite", "veo3.1-fast-official", 4, api_name="/generate"
        )
        assert ctx.store.history(alice) == [], "a header anyone can send must not pick whose history a run joins"
    trusted = _settings(sim, tmp_path / "b", trusted_user_header="X-Forwarded-User", trusted_proxies=LOOPBACK)
    with served(trusted) as (url, ctx):  # the same header through a proxy the operator named
        Client(url, verbose=False, headers={"X-Forwarded-User": "alice"}).predict(
            "a kite", "veo3.1-fast-official", 4, api_name="/generate"
        )
        assert [r.request["prompt"] for r in ctx.store.history(alice)] == ["a kite"]


def test_five_fresh_clients_from_one_address_send_at_most_the_cap(sim: SimulatorServer, tmp_path: Path) -> None:
    settings = _settings(sim, tmp_path, budget_per_visitor=1.0, runs_per_minute=0)
    refusals = []
    with served(settings) as (url, _ctx):
        for n in range(5):
            # Each a new session, each claiming another address: neither resets the address's cap.
            client = Client(url, verbose=False, headers={"X-Forwarded-For": f"198.51.100.{n}"})
            try:
                client.predict(f"a kite {n}", "veo3.1-fast-official", 4, api_name="/generate")
            except Exception as exc:  # gradio_client raises the app's gr.Error as AppError
                refusals.append(str(exc))
    sent = sim.sim.submissions()
    assert len(sent) * 0.32 <= 1.0 and len(sent) == 3, "three $0.32 runs fit a $1 cap, the fourth does not"
    assert len(refusals) == 2 and all("Nothing was sent" in r for r in refusals)


@pytest.mark.parametrize("users", ["carol", "*"])
def test_an_allow_list_keeps_anonymous_api_callers_in_demo_mode(
    sim: SimulatorServer, tmp_path: Path, users: str
) -> None:
    settings = _settings(sim, tmp_path, allowed_users=frozenset({users}))
    with served(settings) as (url, _ctx):
        videos, task = Client(url, verbose=False).predict("a kite", "veo3.1-fast-official", 4, api_name="/generate")
    assert task["status"] == "completed" and videos
    assert sim.sim.submissions() == [], "nobody off the list may spend the server's key"
