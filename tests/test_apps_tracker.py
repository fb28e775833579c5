"""The remediation tracker: progress with evidence, verification, history, the portfolio view."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from bwcases.apps import ImprovementPlan, RemediationTracker
from bwcases.apps.evidence import MAX_BYTES, check_uploads, clean_name, sniff
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

    # downloading gives the same bytes under the same name
    sha = files.loc[files["filename"] == "payslip.pdf", "sha256"].iloc[0]
    app.file_choice.value = sha
    app.download.click()
    link = app.link.value
    assert 'download="payslip.pdf"' in link
    data = re.search(r'href="data:application/pdf;base64,([^"]+)"', link)
    assert data and base64.b64decode(data.group(1)) == PDF
    assert "payslip.pdf" in app.files.value
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
    files, problem = check_uploads([upload("a.pdf", PDF)] * 6, str)
    assert files == [] and problem is not None and "At most 5" in problem


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
    files, problem = check_uploads([upload(name, content)], str)
    assert problem is None and [f.filename for f in files] == [kept_as]


def test_a_file_too_large_is_named_though_the_page_sent_only_its_size() -> None:
    # the page script sends a file over MAX_BYTES as its name and size, without its bytes
    big = {**upload("photo 40MB.jpg", b""), "size": 40 * 1024 * 1024}
    files, problem = check_uploads([upload("a.pdf", PDF), big], str)
    assert files == [] and problem == "photo 40MB.jpg is larger than 10 MB."
    cut = {**upload("a.pdf", PDF[:10]), "size": len(PDF)}
    files, problem = check_uploads([cut], str)
    assert files == [] and problem == "a.pdf did not arrive whole: choose it again."
