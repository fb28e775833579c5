"""The identity provider the served apps sign in through: throttling by name and address."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from bwcases.auth.accounts import ACCOUNT_FREE, ACCOUNT_WAIT
from bwcases.store import Store
from bwcases.web import signin
from bwcases.web.signin import StoreIdentityProvider
from tests.helpers import PASSWORD, Clock, fill_advisor_case


@pytest.fixture
def people(store: Store, tmp_path: Path) -> Store:
    return fill_advisor_case(store, tmp_path)


def test_sign_in_waits_by_name_in_any_spelling_and_by_address(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = StoreIdentityProvider(store_url=people.url)
    clock = Clock()
    monkeypatch.setattr(provider.accounts, "clock", clock)
    monkeypatch.setattr(provider.addresses, "clock", clock)
    spellings = ["Lan Nguyen", "lan  nguyen", "LAN\tNGUYEN"]
    for i in range(ACCOUNT_FREE):
        assert provider.authenticate(spellings[i % 3], "wrong", f"10.0.0.{i}") is None
    # the right password from elsewhere waits too, without being checked
    assert provider.wait("Lan Nguyen", "10.9.9.9") > 0
    assert provider.authenticate("Lan Nguyen", PASSWORD, "10.9.9.9") is None
    clock.now += ACCOUNT_WAIT
    assert provider.authenticate("Lan Nguyen", PASSWORD, "10.9.9.9") is not None
    # one address trying many names waits after ADDRESS_FREE failures; others do not
    for i in range(20):
        provider.authenticate(f"made-up person {i}", "wrong", "192.0.2.7")
    assert provider.wait("Minh Tran", "192.0.2.7") > 0
    assert provider.authenticate("Minh Tran", PASSWORD, "192.0.2.8") is not None


def test_a_burst_of_tries_at_once_is_throttled_too(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = StoreIdentityProvider(store_url=people.url)
    checked: list[str] = []

    def slow_check(_store: Store, login: str, _password: str) -> None:
        checked.append(login)
        time.sleep(0.2)  # hashing takes a while: the other tries arrive meanwhile

    monkeypatch.setattr(signin, "sign_in", slow_check)
    start = threading.Barrier(12)

    def guess(i: int) -> None:
        start.wait()
        provider.authenticate("Lan Nguyen", f"guess {i}", f"198.51.100.{i}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(checked) == ACCOUNT_FREE
