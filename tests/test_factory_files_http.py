"""Files of the factory's own people over HTTP: a meeting's minutes and a proposal's evidence,
for the people whose portfolio holds the factory, never by an ID guessed in the address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bwcases.core.domain import Status
from bwcases.store import Store, Upload
from tests.browser import served
from tests.helpers import PDF, fill_advisor_case, password_hash, served_store_url
from tests.test_evidence_http import call, session

pytestmark = [pytest.mark.slow]

MINUTES = Upload("minutes May.pdf", "application/pdf", PDF + b"%minutes")
HERS = Upload("store room.pdf", "application/pdf", PDF + b"%VN001")
THEIRS = Upload("fire drill.pdf", "application/pdf", PDF + b"%KH001")


@dataclass(frozen=True)
class Served:
    base: str
    meeting: int  # VN001's PICC meeting with its minutes
    hers: int  # Rina's proposal (VN001) with HERS
    theirs: int  # Kim's proposal (KH001) with THEIRS


def propose(store: Store, name: str, factory: str, upload: Upload) -> int:
    item = store.plan_item(int(store.plan_items_frame(factory_ids=[factory])["item_id"].iloc[0]))
    status = Status(item["status"])
    return store.propose_progress(
        name,
        int(item["item_id"]),
        status=status,
        note="The photo of it",
        base_version=int(item["version"]),
        files=[upload],
    )


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The apps served over the advisor case with Rina (VN001) and Kim (KH001) of the
    factories' own people, a PICC meeting of VN001 and a proposal of each."""
    folder = tmp_path_factory.mktemp("factory-files")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    for name, country, factory in (
        ("Rina Akter", "Vietnam", "VN001"),
        ("Kim Pha", "Cambodia", "KH001"),
    ):
        store.add_user(
            name,
            role="factory",
            country=country,
            factory=factory,
            password_hash=password_hash(),
            actor="test",
        )
    meeting = store.add_visit(
        {"factory_id": "VN001", "date": dt.date(2024, 5, 14), "kind": "PICC meeting"},
        "Lan Nguyen",
        minutes=MINUTES,
    )
    hers = propose(store, "Rina Akter", "VN001", HERS)
    theirs = propose(store, "Kim Pha", "KH001", THEIRS)
    with served(store.url, folder / "voila.log", preheat=False) as base:
        yield Served(base, meeting, hers, theirs)
    store.dispose()


def get(case: Served, path: str, name: str) -> tuple[int, bytes]:
    status, _headers, body = call(case.base, "GET", path, cookie=session(case.base, name))
    return status, body


@pytest.mark.parametrize("name", ["Rina Akter", "Lan Nguyen", "Minh Tran", "Hoa Le"])
def test_the_factory_and_its_programme_people_get_its_files(case: Served, name: str) -> None:
    assert get(case, f"/minutes/{case.meeting}", name) == (200, MINUTES.content)
    path = f"/proposal-evidence/{case.hers}/{HERS.sha256}"
    assert get(case, path, name) == (200, HERS.content)


@pytest.mark.parametrize("name", ["Kim Pha", "Sokha Chan"])  # KH001's own person, its advisor
def test_another_factory_s_people_are_refused(case: Served, name: str) -> None:
    for path, content in (
        (f"/minutes/{case.meeting}", MINUTES.content),
        (f"/proposal-evidence/{case.hers}/{HERS.sha256}", HERS.content),
    ):
        status, body = get(case, path, name)
        assert status == 404 and content not in body, path


def test_another_factory_s_file_is_answered_as_one_that_does_not_exist(case: Served) -> None:
    kim = session(case.base, "Kim Pha")  # KH001's: VN001's meeting and proposal are not hers
    unknown = case.meeting + case.hers + case.theirs + 1000
    for hidden, missing in (
        (f"/minutes/{case.meeting}", f"/minutes/{unknown}"),
        (
            f"/proposal-evidence/{case.hers}/{HERS.sha256}",
            f"/proposal-evidence/{unknown}/{HERS.sha256}",
        ),
    ):
        refused = call(case.base, "GET", hidden, cookie=kim)
        absent = call(case.base, "GET", missing, cookie=kim)
        assert refused[0] == absent[0] == 404, hidden
        assert refused[1]["Content-Type"] == absent[1]["Content-Type"]
        assert refused[2] == absent[2], (
            hidden
        )  # nothing tells an ID that exists from one that does not


def test_a_file_under_another_proposal_s_id_is_not_found(case: Served) -> None:
    # her own proposal's ID with the other factory's file, and the other way round
    for path in (
        f"/proposal-evidence/{case.hers}/{THEIRS.sha256}",
        f"/proposal-evidence/{case.theirs}/{HERS.sha256}",
        f"/proposal-evidence/{case.hers}/{'0' * 64}",
        f"/minutes/{case.meeting + 1000}",
    ):
        status, body = get(case, path, "Rina Akter")
        assert status == 404 and THEIRS.content not in body, path
