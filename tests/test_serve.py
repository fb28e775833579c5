"""The case overview served by Voilà, read in a real chromium, and closed to strangers."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bwcases.auth.accounts import add_user
from bwcases.auth.people import COOKIE_NAME
from bwcases.core.errors import UsageError
from bwcases.store import Store
from bwcases.web.kernel_owners import KernelOwnerAuthorizer
from bwcases.web.limits import Limits
from bwcases.web.serve import app_url, cell_timeout, start_server, voila_command, voila_config
from bwcases.web.signin import StoreIdentityProvider
from tests.browser import chromium_page, needs_chromium, served, sign_in
from tests.helpers import BACKENDS, PASSWORD, SCRIPT_ISSUE, fill_case, served_store_url

WIDGETS_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The served overview on both stores."""
    return str(request.param)


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Voilà over a store holding Saigon Garments' case; yields its base URL."""
    folder = tmp_path_factory.mktemp("served")
    store = Store(served_store_url(backend, folder, "overview"))
    fill_case(store, folder)
    add_user(store, "Lan Nguyen", role="advisor", password=PASSWORD)
    store.dispose()
    with served(store.url, folder / "voila.log") as url:
        yield url


def get(url: str, cookie: str = "") -> tuple[int, str | None, str]:
    """Status, Location header and body of a GET, without following redirects."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location"), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_the_configuration_hides_tracebacks_signs_in_and_keeps_to_localhost() -> None:
    c = voila_config()
    assert c.VoilaConfiguration.show_tracebacks is False
    assert c.Voila.ip == "127.0.0.1" and c.Voila.identity_provider_class is StoreIdentityProvider
    assert c.VoilaConfiguration.preheat_kernel is True
    assert c.Voila.authorizer_class is KernelOwnerAuthorizer  # see test_apps_browser
    assert c.VoilaExecutor.timeout == 120
    assert c.VoilaExecutor.iopub_timeout == 60  # a cell's output late while kernels start
    # kernels whose page is gone (never connected, or closed offline) stop after 10 idle minutes
    assert c.MappingKernelManager.cull_idle_timeout == 10 * 60
    assert (
        voila_config(limits=Limits(kernel_grace=0.5)).MappingKernelManager.cull_idle_timeout == 30
    )
    assert c.MappingKernelManager.cull_connected is False
    assert cell_timeout({"metadata": {"tags": ["request"]}}) is None  # waits for its page
    assert cell_timeout({"metadata": {}}) == 120
    assert "--port=8866" in voila_command(8866) and "--cold" not in voila_command(8866)
    assert voila_command(8866, preheat=False)[-1] == "--cold"
    strict = voila_command(8866, limits=Limits(pages_per_person=1, max_pages=9, trusted_proxy=True))
    assert {"--pages-per-person=1", "--max-pages=9", "--trusted-proxy"} <= set(strict)
    assert app_url(8866, factory_id="VN 1", lang="vi").endswith(
        "/voila/render/improvement_plan.ipynb?factory=VN+1&lang=vi"
    )


def test_a_taken_port_is_refused_not_silently_changed(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(UsageError, match="already in use"):
            start_server(f"sqlite:///{tmp_path / 'cases.sqlite'}", port=busy.getsockname()[1])


def test_a_folder_without_the_app_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="BWCASES_NOTEBOOKS"):
        start_server(f"sqlite:///{tmp_path / 'cases.sqlite'}", notebooks=tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("cookie", ["", f"{COOKIE_NAME}=forged-token"])
def test_without_sign_in_no_factory_data(server: str, cookie: str) -> None:
    url = f"{server}voila/render/case_overview.ipynb?factory=VN001&token=guess"
    status, location, body = get(url, cookie)
    assert status in (302, 403)
    if status == 302:
        assert location is not None and location.startswith("/login")
    assert "Saigon" not in body and "VN001 —" not in body
    if location:  # the login page it sends you to shows nothing of the case either
        parts = urlsplit(server)
        status, _, body = get(f"http://{parts.hostname}:{parts.port}{location}")
        assert status == 200 and "Saigon" not in body


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_an_advisor_reads_the_case_in_chromium(server: str, tmp_path: Path) -> None:
    dialogs: list[str] = []
    with chromium_page(height=1800) as page:  # tall: the lab template scrolls inside
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        sign_in(page, server, "Lan Nguyen", PASSWORD)
        page.goto(f"{server}voila/render/case_overview.ipynb?factory=VN001")
        # the widgets draw their parts one by one: wait for the last part, the assessments
        page.get_by_role("heading", name="Assessments").wait_for(timeout=WIDGETS_TIMEOUT_MS)
        assert page.locator(".bw-overview h2").inner_text() == "Saigon Garments"
        text = page.locator(".bw-overview").first.inner_text()
        assert "3 of 5" in text and "CPs non-compliant (latest)" in text
        assert "Latest (Quest.ID 1500, cycle 3, 20/04/2024)" in text
        assert "Minimum Wages/Piece Rate Wages" in text and "Persistent" in text
        assert SCRIPT_ISSUE in text  # shown as text ...
        assert dialogs == []  # ... and never run
        assert page.locator(".bw-overview script").count() == 0
        assert "Traceback" not in text
        page.screenshot(path=str(tmp_path / "case_overview.png"), full_page=True)

        # her portfolio only: another advisor's Cambodian factory is not even offered, and
        # with one portfolio in one country she has no Country or Advisor filter to set
        assert not page.get_by_label("Country", exact=True).is_visible()
        factories = page.get_by_label("Factory").locator("option").all_inner_texts()
        assert not any("KH001" in f for f in factories)
        page.goto(f"{server}voila/render/case_overview.ipynb?factory=KH001")
        page.get_by_text("Factory KH001 is not in your portfolio.").wait_for(
            timeout=WIDGETS_TIMEOUT_MS
        )
        text = page.locator("body").inner_text()
        assert "Phnom Penh" not in text and "Cambodian item" not in text
