"""Evidence files over HTTP from the served apps: for the people whose portfolio holds the item."""

from __future__ import annotations

import datetime as dt
import email.message
import http.client
import io
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from PIL import Image

from bwcases.apps import RemediationTracker
from bwcases.auth.people import COOKIE_NAME
from bwcases.core.domain import Status
from bwcases.store import Store, Upload
from bwcases.web.evidence import content_disposition
from tests.browser import served
from tests.helpers import PASSWORD, PDF, fill_advisor_case, open_app, served_store_url

pytestmark = [pytest.mark.slow]

ACCENTED = "Biên bản họp PICC – lối thoát.pdf"
HOSTILE = 'a"b\\c;d<script>%22 é.pdf'  # what a stored name may still hold (no folder, no control)


def jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 140, 60)).save(out, "JPEG")
    return out.getvalue()


PHOTO = jpeg()


@pytest.fixture(scope="module")
def served_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, int]]:
    """The apps served over the advisor case, whose item 2 (VN001, Lan's) holds three files;
    yields (base URL, store, the update's id)."""
    folder = tmp_path_factory.mktemp("evidence")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    files = [
        Upload(ACCENTED, "application/pdf", PDF),
        Upload("exit.jpg", "image/jpeg", PHOTO),
        Upload(HOSTILE, "application/pdf", PDF + b"%hostile"),
    ]
    store.add_progress(
        2,
        date=dt.date.today(),
        note="Boxes moved",
        new_status=Status.IN_PROGRESS,
        expected_version=int(store.plan_item(2)["version"]),
        actor="Lan Nguyen",
        files=files,
    )
    updates = store.progress_updates_frame(factory_ids=["VN001"])
    update_id = int(updates.loc[updates["item_id"] == 2, "id"].iloc[0])
    with served(store.url, folder / "voila.log", preheat=False) as base:
        yield base, store, update_id
    store.dispose()


def call(
    base: str, method: str, path: str, body: str = "", cookie: str = ""
) -> tuple[int, http.client.HTTPMessage, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        conn.close()


def session(base: str, name: str) -> str:
    """The Cookie header of a browser signed in as `name`."""
    status, headers, form = call(base, "GET", "/login")
    xsrf_cookie = (headers.get("Set-Cookie") or "").split(";")[0]
    xsrf = form.decode().split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    body = urlencode({"_xsrf": xsrf, "username": name, "password": PASSWORD, "next": "/login"})
    status, headers, _body = call(base, "POST", "/login", body, xsrf_cookie)
    assert status == 302, f"{name} could not sign in"
    signed = [c.split(";")[0] for c in headers.get_all("Set-Cookie") or []]
    return "; ".join([xsrf_cookie, *(c for c in signed if c.startswith(COOKIE_NAME))])


def exact_name(disposition: str) -> str:
    """The name a browser saves a file under (RFC 6266: filename* before filename)."""
    found = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert found, disposition
    return unquote(found[1])


def address(store: Store, update_id: int, filename: str) -> str:
    files = store.evidence_frame([2])
    sha = files.loc[files["filename"] == filename, "sha256"].iloc[0]
    return f"/evidence/{update_id}/{sha}"


def test_her_own_file_comes_whole_as_an_attachment(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    lan = session(base, "Lan Nguyen")
    status, headers, body = call(base, "GET", address(store, update_id, ACCENTED), cookie=lan)
    assert status == 200 and body == PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert "sandbox" in headers["Content-Security-Policy"]
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii()
    assert 'filename="Bien ban hop PICC _ loi thoat.pdf"' in disposition  # for old browsers
    assert exact_name(disposition) == ACCENTED  # RFC 6266: the exact name, UTF-8
    status, headers, body = call(base, "GET", address(store, update_id, "exit.jpg"), cookie=lan)
    assert (status, headers["Content-Type"], body) == (200, "image/jpeg", PHOTO)


def test_a_hostile_file_name_stays_one_quoted_name(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    lan = session(base, "Lan Nguyen")
    status, headers, body = call(base, "GET", address(store, update_id, HOSTILE), cookie=lan)
    assert status == 200 and body == PDF + b"%hostile"
    disposition = headers["Content-Disposition"]
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert plain == "a_b_c;d<script>%22 e.pdf"  # no quote or backslash ends it early
    assert exact_name(disposition) == HOSTILE
    message = email.message.Message()
    message["Content-Disposition"] = disposition
    params = message.get_params(header="Content-Disposition")
    # one disposition and two names (plain, then RFC 2231's): nothing broke out of them
    assert len(params) == 3 and params[:2] == [("attachment", ""), ("filename", plain)]


@pytest.mark.parametrize("name", ["Minh Tran", "Hoa Le"])  # Vietnam's staff, read-only
def test_her_countrys_staff_see_it_too(served_case: tuple[str, Store, int], name: str) -> None:
    base, store, update_id = served_case
    status, _headers, body = call(
        base, "GET", address(store, update_id, ACCENTED), cookie=session(base, name)
    )
    assert (status, body) == (200, PDF)


def test_another_advisor_is_refused(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    sokha = session(base, "Sokha Chan")  # Cambodia's advisor
    for path in (address(store, update_id, ACCENTED), address(store, update_id, "exit.jpg")):
        status, _headers, body = call(base, "GET", path, cookie=sokha)
        assert status == 404 and PDF not in body and PHOTO[:64] not in body
        status, _headers, body = call(base, "GET", f"{path}/preview", cookie=sokha)
        assert status == 404 and b"JFIF" not in body


def test_another_advisor_s_file_is_answered_as_one_that_does_not_exist(
    served_case: tuple[str, Store, int],
) -> None:
    base, store, update_id = served_case
    sokha = session(base, "Sokha Chan")
    path = address(store, update_id, ACCENTED)
    sha = path.rsplit("/", 1)[1]
    for hidden, missing in (
        (path, f"/evidence/{update_id + 1000}/{sha}"),
        (f"{path}/preview", f"/evidence/{update_id + 1000}/{sha}/preview"),
    ):
        refused = call(base, "GET", hidden, cookie=sokha)
        absent = call(base, "GET", missing, cookie=sokha)
        assert refused[0] == absent[0] == 404, hidden
        assert refused[1]["Content-Type"] == absent[1]["Content-Type"]
        assert refused[2] == absent[2], hidden


def test_nobody_signed_in_is_sent_to_sign_in(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    path = address(store, update_id, ACCENTED)
    for cookie in ("", f"{COOKIE_NAME}=forged-token"):
        status, headers, body = call(base, "GET", path, cookie=cookie)
        assert status == 302 and headers["Location"].startswith("/login?next=")
        assert PDF not in body


def test_an_unknown_or_mismatched_file_is_not_found(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    lan = session(base, "Lan Nguyen")
    sha = address(store, update_id, ACCENTED).rsplit("/", 1)[1]
    for path in (
        f"/evidence/{update_id}/{'0' * 64}",
        f"/evidence/{update_id + 1000}/{sha}",  # a file of another update
        f"/evidence/{update_id}/{sha.upper()}",
        f"/evidence/{update_id}/{sha}/../../login",
    ):
        status, _headers, body = call(base, "GET", path, cookie=lan)
        assert status == 404, path
        assert PDF not in body


def test_a_preview_is_a_small_picture_of_the_file(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    lan = session(base, "Lan Nguyen")
    for name in ("exit.jpg", ACCENTED):
        path = address(store, update_id, name) + "/preview"
        status, headers, body = call(base, "GET", path, cookie=lan)
        assert status == 200 and headers["Content-Type"] == "image/jpeg", name
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Disposition" not in headers  # shown in the page
        shown = Image.open(io.BytesIO(body))
        assert max(shown.size) <= 320 and len(body) < 50_000
    path = address(store, update_id, "exit.jpg") + "/preview"
    photo = Image.open(io.BytesIO(call(base, "GET", path, cookie=lan)[2]))
    assert photo.size == (320, 240) and photo.getpixel((160, 120))[1] > 100  # its green


def test_the_apps_links_are_the_servers_addresses(served_case: tuple[str, Store, int]) -> None:
    base, store, update_id = served_case
    app = open_app(RemediationTracker, store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    html = app.files.value
    lan = session(base, "Lan Nguyen")
    links = sorted(set(part.split('"', 1)[0] for part in html.split('href="')[1:]))
    pictures = sorted(set(part.split('"', 1)[0] for part in html.split('src="')[1:]))
    assert len(links) == 3 and len(pictures) == 3
    for path in [*links, *pictures]:
        status, _headers, _body = call(base, "GET", path, cookie=lan)
        assert status == 200, path


def test_content_disposition_names() -> None:
    assert content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    assert content_disposition("ảnh.jpg").endswith("filename*=UTF-8''%E1%BA%A3nh.jpg")
    assert re.search(r'filename="_+\.pdf"', content_disposition("ខ្មែរ.pdf"))


def test_the_file_is_never_in_the_page_or_its_websocket(apps_store: Store) -> None:
    # the tracker's page holds links, not bytes: nothing of a file travels through its kernel
    item = apps_store.plan_item(2)
    apps_store.add_progress(
        2,
        date=dt.date.today(),
        note="photo",
        new_status=Status.IN_PROGRESS,
        expected_version=int(item["version"]),
        actor="Lan Nguyen",
        files=[Upload("exit.jpg", "image/jpeg", PHOTO)],
    )
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    shown = app.files.value + app.history.value + app.verify_evidence.value
    assert "base64" not in shown and "data:" not in shown
