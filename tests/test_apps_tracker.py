"""The remediation tracker: progress with evidence, verification, history, the portfolio view."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image

from bwcases.apps import ImprovementPlan, RemediationTracker
from bwcases.apps.common import STATE_BADGES, stylesheet
from bwcases.apps.evidence import MAX_BYTES, check_upload, clean_name, sniff
from bwcases.apps.request import PageRequest, page_request
from bwcases.auth.people import person
from bwcases.store import Store
from tests.helpers import PDF, fill, open_app, plan_public_item, record, upload

D = dt.date
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def test_the_plan_as_a_table(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    html = app.plan.value
    for text in ("Exit blocked by boxes", "In Progress", "30/06/2024", "Overdue", "Persistent"):
        assert text in html
    assert "&lt;script&gt;" in html and "<script>" not in html  # free text escaped
    assert "Items: 3 · open: 2 · overdue: 1" in app.summary.value  # 30/06/2024 has passed


def test_a_progress_update_with_evidence_is_stored_and_downloadable(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = str(item_id)
    today = dt.date.today()
    record(
        app,
        status="In Progress",
        note="Payslip template drafted with the PICC",
        files=(upload("C:\\scans\\payslip.pdf", PDF), upload("photo.png", PNG)),
    )
    assert "recorded" in app.record_message.value
    updates = apps_store.progress_updates_frame(factory_ids=["VN003"])
    assert updates[["author", "old_status", "new_status", "note"]].values.tolist() == [
        ["Lan Nguyen", "Pending", "In Progress", "Payslip template drafted with the PICC"]
    ]
    files = apps_store.evidence_frame([item_id])
    assert sorted(files["filename"]) == ["payslip.pdf", "photo.png"]  # no folder in the name
    assert set(files["media_type"]) == {"application/pdf", "image/png"}
    assert set(files["size"]) == {len(PDF), len(PNG)}
    assert set(files["date"].astype(str)) == {today.isoformat()}
    assert app.fields["note"].control.value == "" and app.fields["files"].control.value == ()

    # each file links to the server's download, under the update it came with (the bytes are
    # the server's to send: tests/test_evidence_http.py)
    update_id = int(updates["id"].iloc[0])
    for name in ("payslip.pdf", "photo.png"):
        sha = files.loc[files["filename"] == name, "sha256"].iloc[0]
        assert f'href="/evidence/{update_id}/{sha}"' in app.files.value
        assert f'href="/evidence/{update_id}/{sha}"' in app.history.value  # in the update's row
    assert "data:" not in app.files.value and "base64" not in app.files.value
    assert "With the update of" in app.files.value and "Payslip template drafted" in app.files.value
    assert "Payslip template drafted with the PICC" in app.history.value
    assert "Lan Nguyen" in app.history.value


def test_the_same_file_is_stored_once(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = str(item_id)
    record(app, status="In Progress", note="first", files=(upload("a.pdf", PDF),))
    record(app, status="In Progress", note="again", files=(upload("b.pdf", PDF),))
    files = apps_store.evidence_frame([item_id])
    assert files["filename"].tolist() == ["a.pdf", "b.pdf"] and files["sha256"].nunique() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100, "is not a PDF, a photo"),
        ("fake.pdf", b"<html>not a pdf</html>", "is not a PDF, a photo"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, "larger than 10 MB"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_bad_file_shows_a_message_and_saves_nothing(
    apps_store: Store, name: str, content: bytes, message: str
) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = str(item_id)
    record(app, status="In Progress", note="keep this note", files=(upload(name, content),))
    assert message in app.fields["files"].error.value
    assert "Nothing was saved" in app.record_message.value
    assert apps_store.progress_updates_frame(factory_ids=["VN003"]).empty
    assert apps_store.plan_item(item_id)["status"] == "Pending"
    assert app.fields["note"].control.value == "keep this note"


def test_a_progress_update_needs_a_note_and_a_sensible_date(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    record(app, status="In Progress", note="", date=dt.date.today() + dt.timedelta(days=3))
    assert "Fill in this field" in app.fields["note"].error.value
    assert "future" in app.fields["date"].error.value
    offered = [value for _label, value in app.fields["status"].control.options]
    assert offered == ["Pending", "In Progress"]  # only the moves it may make
    record(app, date="31/02/2024", note="done")
    assert "dd/mm/yyyy" in app.fields["date"].error.value
    assert apps_store.progress_updates_frame(factory_ids=["VN001"]).query("item_id == 2").empty


def test_completed_public_items_wait_for_staff_verification(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    lan = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    lan.choice.value = str(item_id)
    record(lan, status="In Progress", note="started")
    record(
        lan,
        status="Completed",
        note="Payslips itemised since July",
        files=(upload("payslip.pdf", PDF),),
    )
    item = apps_store.plan_item(item_id)
    assert (item["status"], item["verification"]) == ("Completed", "awaiting")
    assert "Awaiting verification" in lan.plan.value
    assert lan.verification.layout.display == "none"  # advisors do not verify
    assert not lan.verify_item(True)

    minh = open_app(RemediationTracker, apps_store, "Minh Tran", "VN003")
    minh.choice.value = str(item_id)
    assert minh.verification.layout.display is None
    minh.verify.click()
    item = apps_store.plan_item(item_id)
    assert (item["verification"], item["verified_by"]) == ("verified", "Minh Tran")
    assert "The fix is verified" in minh.item_message.value
    assert minh.verification.layout.display == "none"


def test_staff_send_a_fix_back_with_a_reason(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    lan = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    lan.choice.value = str(item_id)
    record(lan, status="In Progress", note="started")
    record(lan, status="Completed", note="done", files=(upload("payslip.pdf", PDF),))
    minh = open_app(RemediationTracker, apps_store, "Minh Tran", "VN003")
    minh.choice.value = str(item_id)
    minh.reject.click()
    assert "Say why" in minh.verify_note.error.value
    minh.verify_note.control.value = "Deductions still missing on the March payslips"
    minh.reject.click()
    item = apps_store.plan_item(item_id)
    assert (item["status"], item["verification"], item["completed_on"]) == (
        "In Progress",
        "rejected",
        None,
    )
    assert "Deductions still missing" in minh.history.value


def test_a_stale_update_is_refused_and_kept_in_the_form(apps_store: Store) -> None:
    lan = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(RemediationTracker, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "2"
    record(minh, status="In Progress", note="Boxes moved to the store room")
    record(lan, status="In Progress", note="Exit cleared on my visit")
    assert "Minh Tran changed this item meanwhile" in lan.record_message.value
    assert lan.fields["note"].control.value == "Exit cleared on my visit"
    record(lan, status="In Progress", note="Exit cleared on my visit")
    updates = apps_store.progress_updates_frame(factory_ids=["VN001"]).query("item_id == 2")
    assert updates["note"].tolist() == ["Boxes moved to the store room", "Exit cleared on my visit"]


def test_history_comes_from_the_audit_trail(apps_store: Store) -> None:
    plan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear the exit", responsible="Floor manager", due_date=D(2099, 2, 28))
    plan.form.save.click()
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    html = app.history.value
    assert "Created" in html and "Lan Nguyen" in html
    assert "Due date: 31/01/2099 → 28/02/2099" in html
    assert "Responsible person: – → Floor manager" in html


def test_the_portfolio_lists_overdue_and_persistent_items(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)  # due 31/07/2024: overdue; persistent finding
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen")
    app.tabs.selected_index = 1
    html = app.portfolio_view.value
    assert "VN001 — Saigon Garments" in html and "VN003 — Dong Nai Textiles" in html
    assert f"#{item_id}" in html and "#2<" not in html  # not overdue, not persistent
    assert "Cambodian item" not in html  # another advisor's factory
    staff = open_app(RemediationTracker, apps_store, "Sokha Chan")
    staff.tabs.selected_index = 1
    assert (
        "Cambodian item" in staff.portfolio_view.value
        and "Saigon" not in staff.portfolio_view.value
    )


def test_evidence_is_recognised_by_its_content() -> None:
    assert sniff("x.pdf", PDF) == "application/pdf"
    assert sniff("x.jpg", b"\xff\xd8\xff\xe0" + b"0" * 10) == "image/jpeg"
    assert sniff("x.pdf", b"\xff\xd8\xff\xe0") == "image/jpeg"  # the content decides
    assert sniff("x.docx", b"PK\x03\x04rest") is not None and sniff("x.zip", b"PK\x03\x04") is None
    assert clean_name("../../etc/passwd") == "passwd" and clean_name("a\x00b.pdf") == "ab.pdf"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "kept_as"),
    [
        ("report.html", PDF + b"<html><script>alert(1)</script></html>", "report.pdf"),
        ("pic.svg", PNG, "pic.png"),
        ("scan", PDF, "scan.pdf"),
        ("photo.JPEG", b"\xff\xd8\xff\xe0" + b"0" * 10, "photo.JPEG"),
        ("Biên bản.pdf", PDF, "Biên bản.pdf"),
    ],
)
def test_a_stored_file_has_the_ending_its_content_proves(
    name: str, content: bytes, kept_as: str
) -> None:
    checked = check_upload(upload(name, content), str)
    assert not isinstance(checked, str) and checked.filename == kept_as


def test_a_file_too_large_is_named_though_the_page_sent_only_its_size() -> None:
    # the page script sends a file over MAX_BYTES as its name and size, without its bytes
    big = {**upload("photo 40MB.jpg", b""), "size": 40 * 1024 * 1024}
    assert check_upload(big, str) == "photo 40MB.jpg is larger than 10 MB."
    cut = {**upload("a.pdf", PDF[:10]), "size": len(PDF)}
    assert check_upload(cut, str) == "a.pdf did not arrive whole: choose it again."


# -- finding the work ---------------------------------------------------------------------------


def photo(size: tuple[int, int] = (64, 48), kind: str = "PNG") -> bytes:
    """A real picture (Pillow can draw its thumbnail)."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind)
    return out.getvalue()


def test_the_item_chooser_and_the_filter_come_before_the_plan(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    shown = list(app.factory_box.children)
    find = next(w for w in shown if app.choice in getattr(w, "children", ()))
    assert app.show in find.children
    assert shown.index(find) < shown.index(app.item_box) < shown.index(app.plan)


def test_each_row_opens_its_item_in_this_page(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001", lang="vi")
    rows = re.findall(r'<tr class="bw-tracker-row[^"]*">.*?</tr>', app.plan.value)
    assert len(rows) == 3
    for n, row in enumerate(rows, start=1):
        link = (
            f'href="/voila/render/remediation_tracker.ipynb?factory=VN001&amp;item={n}&amp;lang=vi"'
        )
        assert link in row and row.count("<a ") == 1  # one stop a row for the keyboard
    assert "aria-current" not in app.plan.value
    assert '<td data-label="Xác minh"></td>' in rows[0]  # an empty cell: no label on a card
    app.choice.value = "2"
    current = re.findall(r'<tr class="bw-tracker-row bw-tracker-current">.*?</tr>', app.plan.value)
    assert len(current) == 1 and "item=2&amp;" in current[0] and 'aria-current="true"' in current[0]


def test_the_filter_shows_the_open_or_the_overdue_items(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    assert [label for label, _v in app.show.options] == [
        "All items (3)",
        "Open items (2)",
        "Overdue items (1)",
    ]

    def listed() -> tuple[list[str], list[str]]:
        table = re.findall(r"item=(\d+)&amp;", app.plan.value)
        return table, [v for _label, v in app.choice.options if v]

    assert listed() == (["1", "2", "3"], ["1", "2", "3"])
    app.show.value = "overdue"
    assert listed() == (["1"], ["1"])  # 30/06/2024, in progress
    assert "2 items are not shown." in app.plan.value
    app.show.value = "open"
    assert listed() == (["1", "2"], ["1", "2"])
    app.choice.value = "2"
    app.show.value = "overdue"
    table, chooser = listed()
    assert table == ["1"] and chooser == ["2", "1"]  # the open item stays in the chooser
    assert app.choice.value == "2" and app.item_box.layout.display is None


def test_a_row_link_keeps_the_filter_and_the_page_it_opens_shows_it(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    page = "/voila/render/remediation_tracker.ipynb?factory=VN001"
    assert f'href="{page}&amp;item=1&amp;lang=en"' in app.plan.value  # all: the plain address
    app.show.value = "overdue"
    assert re.findall(r'href="([^"]*item=[^"]*)"', app.plan.value) == [
        f"{page}&amp;item=1&amp;show=overdue&amp;lang=en"
    ]
    lan = person(apps_store.user("Lan Nguyen"))
    linked = RemediationTracker(
        apps_store, PageRequest(lan, "VN001", "en", item_id=1, show="overdue")
    )
    assert linked.show.value == "overdue" and linked.choice.value == "1"
    assert re.findall(r"item=(\d+)&amp;", linked.plan.value) == ["1"]
    assert [label for label, _v in linked.show.options][2] == "Overdue items (1)"
    for asked in ("nothing", "ALL", ""):  # an address edited by hand: all items
        other = RemediationTracker(apps_store, PageRequest(lan, "VN001", "en", show=asked))
        assert other.show.value == "all", asked


def test_in_voila_the_filter_comes_from_the_address(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # as Voilà starts a kernel for a page
    for query, shown in (
        ("factory=VN001&item=1&show=overdue", "overdue"),
        ("factory=VN001&show=%3Cb%3E", ""),
        ("factory=VN001&show=" + "a" * 30, ""),
        ("factory=VN001", ""),
    ):
        monkeypatch.setenv("QUERY_STRING", query)
        assert page_request(apps_store).show == shown, query


def test_no_overdue_item_says_so_and_how_to_see_them_all(apps_store: Store) -> None:
    item = apps_store.plan_item(1)
    apps_store.save_plan_item(  # the overdue item gets a later due date: nothing is overdue
        1, {"due_date": D(2099, 6, 30)}, expected_version=item["version"], actor="Lan Nguyen"
    )
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.show.value = "overdue"
    assert "No item of this plan is shown: choose All items." in app.plan.value
    assert [label for label, _v in app.show.options][2] == "Overdue items (0)"


def test_the_item_shows_root_cause_priority_and_picc_agreement(apps_store: Store) -> None:
    values = {"root_cause": "Store room full <b>since March</b>", "priority": "High"}
    version = apps_store.plan_item(2)["version"]
    apps_store.save_plan_item(
        2, {**values, "picc_agreed": True}, expected_version=version, actor="Lan Nguyen"
    )
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    facts = dict(
        re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td></tr>", app.detail.value)
    )
    assert facts["Root cause"] == "Store room full &lt;b&gt;since March&lt;/b&gt;"
    assert facts["Priority"] == "High"
    assert facts["Agreed by the PICC"] == "Yes"
    app.choice.value = "1"
    facts = dict(
        re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td></tr>", app.detail.value)
    )
    assert facts["Agreed by the PICC"] == "No" and facts["Root cause"] == "–"


def test_badges_are_coloured_by_status(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    badges = re.findall(
        r'<span class="bw-tracker-badge bw-(badge-[\w-]+)">([^<]+)</span>', app.plan.value
    )
    assert badges == [
        ("badge-in-progress", "In Progress"),
        ("badge-pending", "Pending"),
        ("badge-completed", "Completed"),
    ]
    # the Improvement Plan's badges of the same statuses: the same colours, from the same rules
    assert {kind for kind, _text in badges} <= set(STATE_BADGES.values())
    for kind in STATE_BADGES.values():
        assert f".bw-{kind} {{ background:" in stylesheet()


# -- evidence before it is stored -----------------------------------------------------------


def test_chosen_files_are_listed_by_name_and_one_can_be_taken_out(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    chooser = app.fields["files"].control
    chooser.value = (upload("exit.png", photo()), upload("boxes.pdf", PDF))
    text = " ".join(row.children[0].value for row in app.chosen.children[1:])
    assert "exit.png" in text and "boxes.pdf" in text
    assert "data:image/jpeg;base64," in app.chosen.children[1].children[0].value  # its thumbnail
    assert "Files to store with this update: 2" in app.chosen.head.value
    # the chooser keeps only their names (its count); no bytes go back to the page
    assert [(f["name"], bytes(f["content"])) for f in chooser.value] == [
        ("exit.png", b""),
        ("boxes.pdf", b""),
    ]
    app.chosen.children[1].children[1].click()  # "Remove" beside exit.png
    assert [f.name for f in app.chosen.files] == ["boxes.pdf"]
    assert [f["name"] for f in chooser.value] == ["boxes.pdf"]
    chooser.value = (upload("exit-cleared.jpg", photo(kind="JPEG")),)  # a second choice adds
    assert [f.name for f in app.chosen.files] == ["boxes.pdf", "exit-cleared.jpg"]
    record(app, status="In Progress", note="Boxes moved")
    assert "Files stored: boxes.pdf, exit-cleared.jpg." in app.record_message.value
    assert sorted(apps_store.evidence_frame([2])["filename"]) == ["boxes.pdf", "exit-cleared.jpg"]
    assert app.chosen.files == [] and chooser.value == ()


def test_a_file_taken_out_is_never_shown_twice_on_the_way(apps_store: Store) -> None:
    # The page applies each change as it comes; when the first of two is taken out, the row
    # below must not be drawn into the first row's place while it is still on the page.
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (upload("exit.png", photo()), upload("boxes.pdf", PDF))
    seen: list[list[str]] = []

    def shown(_change: object) -> None:
        texts = [row.children[0].value for row in app.chosen.children[1:]]
        seen.append([n for t in texts for n in ("exit.png", "boxes.pdf") if n in t])

    app.chosen.observe(shown, "children")
    for row in app.chosen.rows:
        row.children[0].observe(shown, "value")
    app.chosen.children[1].children[1].click()  # "Remove" beside exit.png
    assert seen and seen[-1] == ["boxes.pdf"]
    assert all(len(names) == len(set(names)) for names in seen), seen


def test_a_refused_file_is_listed_with_why_until_she_chooses_again(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    chooser = app.fields["files"].control
    chooser.value = (upload("virus.exe", b"MZ" + b"\x00" * 60), upload("boxes.pdf", PDF))
    assert "virus.exe is not a PDF" in app.fields["files"].error.value  # at once
    assert "Not stored: see why above." in app.chosen.children[1].children[0].value
    assert "Files to store with this update: 1" in app.chosen.head.value
    record(app, status="In Progress", note="Boxes moved")
    assert "Nothing was saved" in app.record_message.value
    assert apps_store.evidence_frame([2]).empty
    chooser.value = (upload("exit.png", photo()),)  # her next choice: the refused file goes
    assert [f.name for f in app.chosen.files] == ["boxes.pdf", "exit.png"]
    assert app.fields["files"].error.value == ""
    record(app, status="In Progress", note="Boxes moved")
    assert sorted(apps_store.evidence_frame([2])["filename"]) == ["boxes.pdf", "exit.png"]


def test_each_refused_file_is_named_in_the_fields_error(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (
        upload("virus.exe", b"MZ" + b"\x00" * 60),
        {**upload("photo 40MB.jpg", b""), "size": 40 * 1024 * 1024},
    )
    error = app.fields["files"].error.value
    assert "virus.exe is not a PDF" in error and "photo 40MB.jpg is larger than 10 MB." in error


def test_removing_the_refused_file_lets_the_update_be_saved(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (upload("virus.exe", b"MZ" + b"\x00" * 60),)
    app.chosen.children[1].children[1].click()
    assert app.fields["files"].error.value == "" and app.chosen.files == []
    record(app, status="In Progress", note="Boxes moved")
    assert "The update was recorded." in app.record_message.value


def test_more_files_than_an_update_holds_are_refused_by_name(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    # more than five in one choice: the page sends their names and sizes only
    app.fields["files"].control.value = tuple(
        {**upload(f"p{n}.jpg", b""), "size": 2000} for n in range(6)
    )
    assert [f.problem for f in app.chosen.files] == ["At most 5 files at a time."] * 6
    assert app.fields["files"].error.value.count("At most 5 files") == 1  # said once
    files = tuple(upload(f"s{n}.pdf", PDF + bytes([n])) for n in range(5))
    app.fields["files"].control.value = files
    assert len(app.chosen.uploads) == 5 and app.chosen.problem is None
    app.fields["files"].control.value = (upload("one-more.pdf", PDF + b"6"),)
    assert app.chosen.problem == "At most 5 files at a time." and len(app.chosen.uploads) == 5


def test_the_same_file_chosen_twice_is_listed_once(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (upload("a.pdf", PDF),)
    app.fields["files"].control.value = (upload("a copy.pdf", PDF),)
    assert [f.name for f in app.chosen.files] == ["a.pdf"]


def test_switching_item_with_chosen_files_asks_first(apps_store: Store) -> None:
    # drafts keep no files: another item in the chooser would drop them without a word
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (upload("a.pdf", PDF),)
    app.choice.value = "1"  # nothing typed, but a file chosen
    assert app.keeper.ask.layout.display is None and app.choice.value == "2"
    assert "choose them again" in app.keeper.ask.text.value
    app.keeper.ask.stay.click()
    assert [f.name for f in app.chosen.files] == ["a.pdf"] and app.item["item_id"] == 2
    app.choice.value = "1"
    app.keeper.ask.drop.click()
    assert app.item["item_id"] == 1
    assert app.chosen.files == [] and app.fields["files"].control.value == ()
    app.choice.value = "2"  # nothing chosen, nothing typed: no question
    assert app.keeper.ask.layout.display == "none" and app.item["item_id"] == 2


def test_a_tablet_offers_its_camera_in_the_file_chooser(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    accept = app.fields["files"].control.accept.split(",")
    assert "image/*" in accept and ".pdf" in accept and ".docx" in accept
    assert app.fields["files"].control.multiple


def test_file_names_with_markup_are_text_where_chosen_and_stored(apps_store: Store) -> None:
    hostile = "<img src=x onerror=alert(1)> \"'&"
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    app.fields["files"].control.value = (upload(f"{hostile}.pdf", PDF),)
    shown = app.chosen.children[1].children[0].value
    assert "<img src=x" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    record(app, status="In Progress", note="n")
    assert "<img src=x" not in app.files.value and "&lt;img src=x" in app.files.value
    assert "<img src=x" not in app.history.value


def test_leaving_the_page_with_chosen_files_asks_first(apps_store: Store) -> None:
    # the page asks before a reload or a link (a row of the plan) leaves a bw-dirty widget
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    assert "bw-dirty" not in app.chosen._dom_classes
    app.fields["files"].control.value = (upload("exit.png", photo()),)
    assert "bw-dirty" in app.chosen._dom_classes
    record(app, status="In Progress", note="Boxes moved")
    assert "bw-dirty" not in app.chosen._dom_classes  # stored
    app.fields["files"].control.value = (upload("virus.exe", b"MZ" + b"\x00" * 60),)
    assert "bw-dirty" not in app.chosen._dom_classes  # nothing that would be stored
