"""Reminder digests: their lists per person, the mail in her language, and its delivery through
a real SMTP server on localhost (aiosmtpd), STARTTLS and a login included, or as .eml files."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import insert, update

from bwcases.apps import RemediationTracker
from bwcases.auth.people import person
from bwcases.core.domain import Status
from bwcases.core.errors import UsageError
from bwcases.core.paths import NOTEBOOKS
from bwcases.io.mail import smtp_server
from bwcases.reports import digest as dg
from bwcases.store import DigestScope, Store, Upload
from bwcases.store import digests as store_digests
from bwcases.store import models as m
from tests.helpers import (
    PDF,
    SCRIPT_ISSUE,
    bw,
    fill_advisor_case,
    open_app,
    password_hash,
    plan_values,
)

D = dt.date
AS_OF = D(2024, 7, 5)  # Saigon Garments' wage item (due 30/06/2024) is overdue
FACTORY_PERSON = "Mai Pham"  # of Saigon Garments (VN001)
MAILS = {
    "Lan Nguyen": "lan@example.org",
    "Minh Tran": "minh@example.org",
    "Sokha Chan": "sokha@example.org",
    FACTORY_PERSON: "mai@example.org",
}
NO_ENV: dict[str, str | None] = {
    "BWCASES_SMTP_URL": None,
    "BWCASES_BASE_URL": None,
    "BWCASES_MAIL_FROM": None,
}


# -- the case ---------------------------------------------------------------------------------


def _with_mail(store: Store) -> None:
    """The advisor case's people with mail addresses, and a factory person of Saigon Garments."""
    for name, role, country in (
        ("Lan Nguyen", "advisor", "Vietnam"),
        ("Minh Tran", "staff", "Vietnam"),
        ("Sokha Chan", "advisor", "Cambodia"),
    ):
        store.add_user(
            name,
            role=role,
            country=country,
            password_hash=password_hash(),
            actor="test",
            email=MAILS[name],
            replace=True,
        )
    store.add_user(
        FACTORY_PERSON,
        role="factory",
        country=None,
        factory="VN001",
        email=MAILS[FACTORY_PERSON],
        password_hash=password_hash(),
        actor="test",
    )


def _item(store: Store, factory_id: str, issue_starts: str) -> int:
    items = store.plan_items_frame(factory_ids=[factory_id])
    found = items[items["issue"].str.startswith(issue_starts)]
    return int(found["item_id"].iloc[0])


def _propose(store: Store, item_id: int | None, **more: Any) -> int:
    """A proposal row as the factory's person leaves one (the proposals table, read directly)."""
    values = {
        "factory_id": "VN001",
        "item_id": item_id,
        "kind": "item",
        "values": json.dumps({"fields": {"issue": "Fire extinguishers missing"}}),
        "base_version": None,
        "proposed_by": FACTORY_PERSON,
        "proposed_at": dt.datetime(2024, 7, 1, 9, tzinfo=dt.UTC),
        "state": "pending",
        **more,
    }
    with store.engine.begin() as conn:
        key = conn.execute(insert(m.Proposal).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _version(store: Store, item_id: int) -> int:
    return int(store.plan_item(item_id)["version"])


def _awaiting_verification(store: Store) -> int:
    """Lan completes Dong Nai Textiles' publicly disclosed finding: it awaits verification."""
    values = plan_values(
        "VN003",
        "Wage Information, Use and Deduction",
        "Deductions not itemised on payslips",
        "Pending",
        D(2024, 7, 31),
        source="finding",
        quest_id=2001,
        question_id="CMP.WI.01",
    )
    item = store.save_plan_item(None, values, expected_version=None, actor="Lan Nguyen")[0]
    store.add_progress(
        item,
        date=D(2024, 7, 1),
        note="Payroll software ordered",
        new_status=Status.IN_PROGRESS,
        expected_version=_version(store, item),
        actor="Lan Nguyen",
    )
    store.add_progress(
        item,
        date=D(2024, 7, 2),
        note="Payslips itemised",
        new_status=Status.COMPLETED,
        expected_version=_version(store, item),
        actor="Lan Nguyen",
        files=(Upload("payslip.pdf", "application/pdf", PDF),),
    )
    return item


@pytest.fixture
def case(store: Store, tmp_path: Path) -> Store:
    """The advisor case on the backend under test, with mail addresses and proposals."""
    fill_advisor_case(store, tmp_path)
    _with_mail(store)
    return store


@pytest.fixture
def mail_case(sqlite_store: Store, tmp_path: Path) -> Store:
    """The same case on SQLite, for the tests about mail rather than the database."""
    fill_advisor_case(sqlite_store, tmp_path)
    _with_mail(sqlite_store)
    _awaiting_verification(sqlite_store)
    _propose(sqlite_store, _item(sqlite_store, "VN001", "Exit blocked"))
    return sqlite_store


# -- the store: each person's lists ---------------------------------------------------------------


def _scope(store: Store, name: str) -> DigestScope:
    who = person(store.user(name))
    assert who is not None
    scope = dg.digest_scope(who)
    assert scope is not None
    return scope


def _ids(rows: list[dict[str, Any]]) -> list[Any]:
    return [r.get("proposal_id", r.get("item_id")) for r in rows]


def test_lists_follow_each_persons_portfolio(case: Store) -> None:
    wage = _item(case, "VN001", "Wages below")
    exit_ = _item(case, "VN001", "Exit blocked")
    cambodian = _item(case, "KH001", "Cambodian")
    public = _awaiting_verification(case)
    pending = _propose(case, exit_)
    new_item = _propose(case, None, proposed_at=dt.datetime(2024, 7, 2, tzinfo=dt.UTC))

    lan = case.digest_items(_scope(case, "Lan Nguyen"), AS_OF)
    assert _ids(lan.overdue) == [wage]  # not Cambodia's, not the completed one
    assert _ids(lan.to_review) == [pending, new_item]
    assert lan.to_review[1]["issue"] == "Fire extinguishers missing"  # a new item's own issue
    assert lan.to_verify == []  # advisors do not verify

    minh = case.digest_items(_scope(case, "Minh Tran"), AS_OF)
    assert _ids(minh.to_verify) == [public]
    assert _ids(minh.to_review) == [pending, new_item]
    assert cambodian not in _ids(minh.overdue)

    sokha = case.digest_items(_scope(case, "Sokha Chan"), D(2024, 8, 20))
    assert _ids(sokha.due_soon) == [cambodian]  # due 01/09/2024: within 14 days
    assert sokha.to_review == [] and sokha.overdue == []
    assert case.digest_items(_scope(case, "Sokha Chan"), AS_OF).empty

    mai = case.digest_items(_scope(case, FACTORY_PERSON), AS_OF)
    assert _ids(mai.overdue) == [wage]
    assert mai.to_review == [] and mai.to_verify == []  # she proposes; others review

    hoa = person(case.user("Hoa Le"))
    assert hoa is not None and dg.digest_scope(hoa) is None  # read-only people get no digest


def test_items_sent_back_to_the_advisor(case: Store) -> None:
    public = _awaiting_verification(case)
    case.verify_item(
        public,
        verified=False,
        note="Payslips still not itemised",
        expected_version=_version(case, public),
        actor="Minh Tran",
        on=D(2024, 7, 3),
    )
    lan = case.digest_items(_scope(case, "Lan Nguyen"), AS_OF)
    assert _ids(lan.sent_back) == [public]
    minh = case.digest_items(_scope(case, "Minh Tran"), AS_OF)
    assert minh.sent_back == [] and minh.to_verify == []


def test_proposals_sent_back_to_her_until_answered_or_old(case: Store) -> None:
    exit_ = _item(case, "VN001", "Exit blocked")
    wage = _item(case, "VN001", "Wages below")
    back = {
        "state": "sent back",
        "reviewed_by": "Lan Nguyen",
        "review_comment": "Say who clears the boxes",
    }
    recent = _propose(case, exit_, reviewed_at=dt.datetime(2024, 7, 4, 15, tzinfo=dt.UTC), **back)
    old = _propose(case, None, reviewed_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC), **back)
    answered = _propose(case, wage, reviewed_at=dt.datetime(2024, 7, 3, tzinfo=dt.UTC), **back)
    _propose(case, wage, proposed_at=dt.datetime(2024, 7, 4, tzinfo=dt.UTC))  # her answer

    mai = case.digest_items(_scope(case, FACTORY_PERSON), AS_OF)
    sent_back = _ids(mai.sent_back)
    assert sent_back == [recent]
    assert old not in sent_back and answered not in sent_back
    assert mai.sent_back[0]["review_comment"] == "Say who clears the boxes"
    # a review after the day reported on is not yet in that day's digest
    earlier = case.digest_items(_scope(case, FACTORY_PERSON), D(2024, 7, 3))
    assert recent not in _ids(earlier.sent_back)


def test_a_factory_person_moved_on_hears_nothing_of_her_old_factory(case: Store) -> None:
    exit_ = _item(case, "VN001", "Exit blocked")
    reviewed = dt.datetime(2024, 7, 4, 15, tzinfo=dt.UTC)
    _propose(case, exit_, state="sent back", reviewed_by="Lan Nguyen", reviewed_at=reviewed)
    assert _ids(case.digest_items(_scope(case, FACTORY_PERSON), AS_OF).sent_back) != []
    case.add_user(
        FACTORY_PERSON,
        role="factory",
        country=None,
        factory="VN003",
        email=MAILS[FACTORY_PERSON],
        password_hash=password_hash(),
        actor="test",
        replace=True,
    )
    mai = case.digest_items(_scope(case, FACTORY_PERSON), AS_OF)
    assert mai.sent_back == []  # Saigon Garments' review is no longer hers to read


def test_proposals_made_and_sent_back_through_the_proposals_store(case: Store) -> None:
    exit_ = _item(case, "VN001", "Exit blocked")
    new_item = case.propose_item(
        FACTORY_PERSON,
        "VN001",
        {"compliance_point": "Emergency Preparedness", "issue": "No fire drill this year"},
    )
    progress = case.propose_progress(
        FACTORY_PERSON,
        exit_,
        status=Status.IN_PROGRESS,
        note="Boxes moved to the store room",
        base_version=_version(case, exit_),
    )
    today = D.today()
    lan = case.digest_items(_scope(case, "Lan Nguyen"), today)
    assert _ids(lan.to_review) == [new_item, progress]
    assert [r["issue"] for r in lan.to_review] == [
        "No fire drill this year",
        "Exit blocked by boxes",
    ]

    case.send_back_proposal(progress, reviewer="Lan Nguyen", comment="Send a photo of the exit")
    lan = case.digest_items(_scope(case, "Lan Nguyen"), today)
    assert _ids(lan.to_review) == [new_item]
    mai = case.digest_items(_scope(case, FACTORY_PERSON), today)
    assert _ids(mai.sent_back) == [progress]
    assert mai.sent_back[0]["review_comment"] == "Send a photo of the exit"
    assert mai.sent_back[0]["reviewed_by"] == "Lan Nguyen"


def test_obsolete_factories_are_left_out(case: Store) -> None:
    case.update_factories([{"factory_id": "VN001", "status": "obsolete"}], actor="test")
    lan = case.digest_items(_scope(case, "Lan Nguyen"), AS_OF)
    assert lan.overdue == []


def test_outcomes_are_recorded_once_per_person_and_day(case: Store) -> None:
    case.record_digest("Lan Nguyen", AS_OF, "failed", "550 no such mailbox")
    assert case.digest_outcomes(AS_OF)["Lan Nguyen"]["outcome"] == "failed"
    case.record_digest("Lan Nguyen", AS_OF, "sent")  # the retry replaces the failure
    case.record_digest("Minh Tran", AS_OF + dt.timedelta(days=1), "written")
    got = case.digest_outcomes(AS_OF)
    assert list(got) == ["Lan Nguyen"]
    assert got["Lan Nguyen"]["outcome"] == "sent" and got["Lan Nguyen"]["error"] is None
    assert got["Lan Nguyen"]["at"].tzinfo is not None
    with pytest.raises(Exception, match="outcome is one of sent, written, failed, not 'lost'"):
        case.record_digest("Lan Nguyen", AS_OF, "lost")


def test_when_a_digest_went_is_told_in_utc_whatever_the_servers_zone(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGTZ", "Asia/Ho_Chi_Minh")  # a PostgreSQL session's zone: UTC+7
    local = Store(store_url)
    try:
        local.record_digest("Lan Nguyen", AS_OF, "sent")
        at = local.digest_outcomes(AS_OF)["Lan Nguyen"]["at"]
    finally:
        local.dispose()
    assert at.utcoffset() == dt.timedelta(0)  # "sent 16:05 UTC" is not 23:05 in Saigon


def test_recipients_named_must_exist(case: Store) -> None:
    assert [r["name"] for r in case.digest_recipients(["Minh Tran"])] == ["Minh Tran"]
    with pytest.raises(Exception, match="Nobody Here"):
        case.digest_recipients(["Nobody Here"])


# -- a real mail server on localhost --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the test's mail server received: messages, and whether each came over TLS."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage, bool]] = []
        self.refuse: set[str] = set()
        self.logins: list[tuple[bytes, bytes]] = []
        self.hang_up = False  # close the connection at the next NOOP, as an idle server does
        self.sessions: set[int] = set()  # the connections the client opened

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does when there is no hook
        self.sessions.add(id(session))
        return responses

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str) -> str:
        if self.hang_up:
            self.hang_up = False
            server.transport.close()
            return "421 4.4.2 closing an idle connection"
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg, session.ssl is not None))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        ok = (data.login, data.password) == (b"digest@bw", b"p@ss:w/rd")
        return AuthResult(success=ok, handled=False)  # handled=False: the server says 535

    def to(self, address: str) -> list[EmailMessage]:
        return [msg for rcpt, msg, _tls in self.messages if rcpt == [address]]


def _serve(inbox: Inbox, port: int, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    """A plain SMTP server on localhost: its inbox and its URL."""
    inbox, port = Inbox(), _free_port()
    controller = _serve(inbox, port)
    yield inbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


def _run(
    store: Store, url: str | None, tmp_path: Path, *args: str, as_of: dt.date = AS_OF, **env: str
) -> Any:
    return bw(
        "digest",
        "--db",
        store.url,
        "--as-of",
        as_of.isoformat(),
        "-o",
        str(tmp_path / "out"),
        *args,
        env={**NO_ENV, "BWCASES_SMTP_URL": url, **env},
    )


def _lines(output: str) -> dict[str, str]:
    """The command's report: person -> what happened to her digest."""
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def _parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_send_delivers_one_message_each_with_both_parts_and_links(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    result = _run(
        mail_case, url, tmp_path, "--all", "--send", BWCASES_BASE_URL="https://cases.example.org/"
    )
    assert result.exit_code == 0, result.output
    report = _lines(result.stdout)
    assert report["Lan Nguyen"] == "sent (lan@example.org)"
    assert report["Minh Tran"] == "sent (minh@example.org)"
    assert report["Hoa Le"] == "skipped (her role (readonly) gets no digest)"
    assert report["Sokha Chan"] == "skipped (nothing to report)"  # no message for nothing
    assert sorted(r for rcpt, _m, _t in inbox.messages for r in rcpt) == sorted(
        MAILS[n] for n in ("Lan Nguyen", "Minh Tran", FACTORY_PERSON)
    )

    (lan,) = inbox.to("lan@example.org")
    assert lan["Subject"] == "Your reminders for 05/07/2024"
    assert str(lan["To"]) == "Lan Nguyen <lan@example.org>"
    assert lan["Auto-Submitted"] == "auto-generated"
    text, html = _parts(lan)
    wage = _item(mail_case, "VN001", "Wages below")
    link = f"https://cases.example.org/voila/render/remediation_tracker.ipynb?factory=VN001&item={wage}&lang=en"
    assert link in text and link.replace("&", "&amp;") in html
    assert "Overdue (1)" in text and "Proposals waiting for your review (1)" in text
    assert "Due 30/06/2024" in text
    # the item's hostile text: as it is in plain text, escaped in HTML
    assert SCRIPT_ISSUE in text
    assert "<script>" not in html and "&lt;script&gt;alert(" in html

    (minh,) = inbox.to("minh@example.org")
    text, _html = _parts(minh)
    assert "Completed items waiting for your verification (1)" in text
    (mai,) = inbox.to("mai@example.org")
    text, _html = _parts(mai)
    assert (
        "Open your factory's plan: https://cases.example.org/voila/render/remediation_tracker.ipynb?factory=VN001&lang=en"
        in text
    )
    assert "Proposals waiting" not in text
    assert mail_case.digest_outcomes(AS_OF)["Lan Nguyen"]["outcome"] == "sent"


def test_nobody_gets_the_same_days_digest_twice(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    assert _run(mail_case, url, tmp_path, "--all", "--send").exit_code == 0
    sent = len(inbox.messages)
    again = _run(mail_case, url, tmp_path, "--all", "--send")
    assert again.exit_code == 0
    assert _lines(again.stdout)["Lan Nguyen"].startswith("skipped (already sent for this day")
    assert len(inbox.messages) == sent
    # a digest sent is not written as a file either
    assert _run(mail_case, None, tmp_path, "--person", "Lan Nguyen").exit_code == 0
    assert not (tmp_path / "out").exists()
    # the next day is another digest; --again sends the same day's once more
    assert (
        _run(mail_case, url, tmp_path, "--person", "Lan Nguyen", "--send", "--again").exit_code == 0
    )
    nxt = _run(
        mail_case,
        url,
        tmp_path,
        "--person",
        "Lan Nguyen",
        "--send",
        as_of=AS_OF + dt.timedelta(days=1),
    )
    assert nxt.exit_code == 0
    assert len(inbox.to("lan@example.org")) == 3


def test_files_written_are_not_written_twice_but_do_not_stop_the_mail(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    assert _run(mail_case, None, tmp_path, "--person", "Lan Nguyen").exit_code == 0
    again = _run(mail_case, None, tmp_path, "--person", "Lan Nguyen")
    assert again.stdout.startswith("Lan Nguyen: skipped (already written for this day")
    sent = _run(mail_case, url, tmp_path, "--person", "Lan Nguyen", "--send")
    assert sent.stdout.strip() == "Lan Nguyen: sent (lan@example.org)"
    assert len(inbox.to("lan@example.org")) == 1
    assert mail_case.digest_outcomes(AS_OF)["Lan Nguyen"]["outcome"] == "sent"


def test_a_refused_recipient_fails_alone_and_is_retried(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    inbox.refuse.add("lan@example.org")
    result = _run(mail_case, url, tmp_path, "--all", "--send")
    assert result.exit_code == 1
    report = _lines(result.stdout)
    assert report["Lan Nguyen"].startswith("failed (smtp://127.0.0.1:")
    assert (
        "refused the recipient: lan@example.org: 550 5.1.1 no such mailbox here"
        in report["Lan Nguyen"]
    )
    assert report["Minh Tran"] == "sent (minh@example.org)"  # the others still go
    assert inbox.to("minh@example.org") and not inbox.to("lan@example.org")
    recorded = mail_case.digest_outcomes(AS_OF)["Lan Nguyen"]
    assert recorded["outcome"] == "failed" and "550" in recorded["error"]

    inbox.refuse.clear()
    retry = _run(mail_case, url, tmp_path, "--all", "--send")
    assert retry.exit_code == 0
    assert _lines(retry.stdout)["Lan Nguyen"] == "sent (lan@example.org)"
    assert _lines(retry.stdout)["Minh Tran"].startswith("skipped (already sent")
    assert len(inbox.to("lan@example.org")) == 1 and len(inbox.to("minh@example.org")) == 1


def test_one_connection_for_the_run_and_a_new_one_when_the_server_hung_up(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    assert _run(mail_case, url, tmp_path, "--all", "--send").exit_code == 0
    assert len(inbox.sessions) == 1 and len(inbox.messages) == 3
    inbox.hang_up = True
    result = _run(mail_case, url, tmp_path, "--all", "--send", "--again")
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 6  # nobody's digest lost to the closed connection
    assert len(inbox.sessions) == 3


def test_a_server_that_is_down_fails_everyone_then_the_next_run_sends(
    mail_case: Store, tmp_path: Path
) -> None:
    port = _free_port()  # nothing listens there yet
    url = f"smtp://127.0.0.1:{port}"
    result = _run(mail_case, url, tmp_path, "--all", "--send")
    assert result.exit_code == 1
    report = _lines(result.stdout)
    for name in ("Lan Nguyen", "Minh Tran", FACTORY_PERSON):
        assert report[name].startswith(
            f"failed (smtp://127.0.0.1:{port}: cannot reach the mail server"
        )
    assert {o["outcome"] for o in mail_case.digest_outcomes(AS_OF).values()} == {"failed"}

    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        retry = _run(mail_case, url, tmp_path, "--all", "--send")
    finally:
        controller.stop()
    assert retry.exit_code == 0, retry.output
    assert len(inbox.messages) == 3


def test_no_address_under_send_is_skipped_and_said(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    mail_case.add_user(
        "Lan Nguyen",
        role="advisor",
        country="Vietnam",
        password_hash=password_hash(),
        actor="test",
        replace=True,
    )
    result = _run(mail_case, url, tmp_path, "--person", "Lan Nguyen", "--send")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "Lan Nguyen: skipped (no email address (bwcases users add --email))"
    )
    assert inbox.messages == [] and mail_case.digest_outcomes(AS_OF) == {}
    # as a file she still gets it, addressed to nobody: whoever hands it on adds the address
    written = _run(mail_case, None, tmp_path, "--person", "Lan Nguyen")
    assert written.exit_code == 0
    msg = email.message_from_bytes(
        (tmp_path / "out" / "Lan-Nguyen.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["To"] is None and msg["Subject"] == "Your reminders for 05/07/2024"


def test_her_language_with_accents_and_right_to_left(
    mail_case: Store, smtp: tuple[Inbox, str], tmp_path: Path
) -> None:
    inbox, url = smtp
    mail_case.set_language("Lan Nguyen", "vi")
    mail_case.set_language("Minh Tran", "ar")
    assert _run(mail_case, url, tmp_path, "--all", "--send").exit_code == 0
    (lan,) = inbox.to("lan@example.org")
    text, html = _parts(lan)
    assert lan["Subject"] == "Nhắc việc của bạn ngày 05/07/2024"
    assert "Quá hạn (1)" in text and "Quá hạn (1)" in html
    assert "Xin chào Lan Nguyen," in text
    assert '<html lang="vi" dir="ltr">' in html
    assert "&lang=vi" in text
    (minh,) = inbox.to("minh@example.org")
    text, html = _parts(minh)
    assert '<html lang="ar" dir="rtl">' in html
    # an English issue keeps its question mark at its end in an Arabic line
    assert "<bdi>Deductions not itemised on payslips</bdi>" in html
    assert "- \u2068Deductions not itemised on payslips\u2069" in text


def _certificate(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for 127.0.0.1, and its file."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test server's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1: the test server's context; the client trusts it."""
    context, cert = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test's certificate
    return context


def test_starttls_and_login_when_the_server_offers_them(
    mail_case: Store, tmp_path: Path, tls: ssl.SSLContext
) -> None:
    context = tls
    inbox, port = Inbox(), _free_port()
    controller = _serve(
        inbox,
        port,
        tls_context=context,
        require_starttls=True,  # the server takes nothing before STARTTLS
        authenticator=inbox.authenticate,
        auth_required=True,
    )
    try:
        url = f"smtp://digest%40bw:p%40ss%3Aw%2Frd@127.0.0.1:{port}"
        result = _run(mail_case, url, tmp_path, "--all", "--send")
        wrong = _run(
            mail_case,
            f"smtp://digest%40bw:nope@127.0.0.1:{port}",
            tmp_path,
            "--all",
            "--send",
            "--again",
        )
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 3 and all(tls for _r, _m, tls in inbox.messages)
    assert inbox.logins[0] == (b"digest@bw", b"p@ss:w/rd")  # the URL's escapes undone
    assert wrong.exit_code == 1
    assert "535" in _lines(wrong.stdout)["Lan Nguyen"]
    assert "nope" not in wrong.output  # the password is never shown


def test_smtps_speaks_tls_from_the_first_byte(
    mail_case: Store, tmp_path: Path, tls: ssl.SSLContext
) -> None:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=tls)
    controller.start()
    try:
        result = _run(mail_case, f"smtps://127.0.0.1:{port}", tmp_path, "--all", "--send")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 3


def test_a_certificate_not_trusted_is_not_sent_to(mail_case: Store, tmp_path: Path) -> None:
    context, _cert = _certificate(tmp_path)  # and SSL_CERT_FILE does not name it
    inbox, port = Inbox(), _free_port()
    controller = _serve(inbox, port, tls_context=context)  # offers STARTTLS; nobody trusts it
    try:
        result = _run(mail_case, f"smtp://127.0.0.1:{port}", tmp_path, "--all", "--send")
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in _lines(result.stdout)["Lan Nguyen"]
    assert inbox.messages == []


# -- .eml files -------------------------------------------------------------------------------


def test_without_smtp_one_eml_file_each_that_parses(mail_case: Store, tmp_path: Path) -> None:
    result = _run(mail_case, None, tmp_path, "--all", "--send")
    assert result.exit_code == 0
    assert "BWCASES_SMTP_URL is not set: writing .eml files to" in result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "Lan-Nguyen.eml",
        "Mai-Pham.eml",
        "Minh-Tran.eml",
    ]
    path = out / "Lan-Nguyen.eml"
    assert path.stat().st_mode & 0o777 == 0o600  # her work, for the owner's eyes
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["To"].addresses[0].addr_spec == "lan@example.org"
    assert msg["Subject"] == "Your reminders for 05/07/2024"
    text, html = _parts(msg)
    assert "http://127.0.0.1:8866/voila/render/remediation_tracker.ipynb?factory=VN001" in text
    assert "&lt;script&gt;" in html
    assert _lines(result.stdout)["Lan Nguyen"] == f"written ({path})"
    assert mail_case.digest_outcomes(AS_OF)["Lan Nguyen"]["outcome"] == "written"


def test_the_default_folder_is_named_for_the_day(
    mail_case: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = bw(
        "digest",
        "--db",
        mail_case.url,
        "--person",
        "Minh Tran",
        "--as-of",
        "2024-07-05",
        env=NO_ENV,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "digests" / "2024-07-05" / "Minh-Tran.eml").is_file()


def test_a_file_there_before_is_replaced_private_and_a_link_not_written_through(
    mail_case: Store, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not hers to overwrite")
    (out / "Lan-Nguyen.eml").symlink_to(elsewhere)
    (out / "Minh-Tran.eml").write_text("an older run's file")
    (out / "Minh-Tran.eml").chmod(0o644)
    result = _run(mail_case, None, tmp_path, "--person", "Lan Nguyen", "--person", "Minh Tran")
    assert result.exit_code == 0, result.output
    assert elsewhere.read_text() == "not hers to overwrite"
    for name in ("Lan-Nguyen.eml", "Minh-Tran.eml"):
        path = out / name
        assert not path.is_symlink() and path.stat().st_mode & 0o777 == 0o600, name
        assert email.message_from_bytes(path.read_bytes())["Subject"], name
    assert sorted(p.name for p in out.iterdir()) == ["Lan-Nguyen.eml", "Minh-Tran.eml"]


def test_a_failed_file_is_recorded_and_said(mail_case: Store, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file where the folder should be")
    result = _run(mail_case, None, tmp_path, "--person", "Lan Nguyen")
    assert result.exit_code == 1
    assert _lines(result.stdout)["Lan Nguyen"].startswith("failed (")
    assert mail_case.digest_outcomes(AS_OF)["Lan Nguyen"]["outcome"] == "failed"


# -- links and the command's errors -----------------------------------------------------------------


def test_links_are_the_trackers_own(mail_case: Store) -> None:
    assert RemediationTracker.page == dg.TRACKER_PAGE
    assert (NOTEBOOKS / dg.QUEUE_PAGE).is_file()
    wage = _item(mail_case, "VN001", "Wages below")
    app = open_app(RemediationTracker, mail_case, "Lan Nguyen", "VN001")
    composer = dg.Composer("Lan Nguyen", "en", "https://cases.example.org", AS_OF)
    assert composer.item_url("VN001", wage) == "https://cases.example.org" + app.item_url(wage)


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        ((), {}, "name the people with --person NAME, or give --all"),
        (
            ("--all", "--person", "Lan Nguyen"),
            {},
            "name the people with --person NAME, or give --all",
        ),
        (
            ("--all", "--as-of", "05/07/2024"),
            {},
            "--as-of '05/07/2024' is not a date written YYYY-MM-DD",
        ),
        (
            ("--all", "--base-url", "cases.example.org"),
            {},
            "--base-url: 'cases.example.org' is not the apps' address",
        ),
        (
            ("--all", "--send"),
            {"BWCASES_SMTP_URL": "http://u:secret@host"},
            "BWCASES_SMTP_URL: 'http://u:***@host' is not an SMTP URL",
        ),
        (
            ("--all",),
            {"BWCASES_MAIL_FROM": "not an address"},
            "BWCASES_MAIL_FROM: 'not an address' is not a mail address",
        ),
        (("--person", "Nobody Here"), {}, "Nobody Here"),
    ],
)
def test_bad_input_is_named(
    mail_case: Store, tmp_path: Path, args: tuple[str, ...], env: dict[str, str], said: str
) -> None:
    result = bw(
        "digest", "--db", mail_case.url, "-o", str(tmp_path / "out"), *args, env={**NO_ENV, **env}
    )
    assert result.exit_code == 2
    assert said in result.stderr
    assert "secret" not in result.output
    assert mail_case.digest_outcomes(D.today()) == {}


@pytest.mark.parametrize(
    "url",
    [
        "smtp://user:pa/ss3cret@host:25",  # a slash ends the host part early
        "smtp://user:p@ss3cret@host:2x5",  # an @ not written %40
        "smtp://user:pa:ss3cret@host:x",
    ],
)
def test_a_bad_smtp_url_is_named_without_any_of_its_password(url: str) -> None:
    with pytest.raises(UsageError) as raised:
        smtp_server(url)
    assert "smtp://user:***@" in str(raised.value)
    assert "ss3cret" not in str(raised.value)


def test_the_smtp_servers_password_is_in_no_text_of_it() -> None:
    server = smtp_server("smtps://reminders:s3cret%2Fpw@mail.example.org")
    assert server.password == "s3cret/pw"  # what the login sends
    assert "s3cret" not in f"{server} {server!r}"  # what a log or a traceback's locals show


def test_a_long_list_is_cut_with_a_count(mail_case: Store) -> None:
    wage = _item(mail_case, "VN001", "Wages below")
    row = {**mail_case.plan_item(wage), "item_id": wage, "factory_name": "Saigon Garments"}
    rows = [{"kind": "item", **row}] * (dg.MAX_ROWS + 3)
    items = store_digests.DigestItems(overdue=rows)
    who = person(mail_case.user("Lan Nguyen"))
    assert who is not None
    digest = dg.compose(who, items, as_of=AS_OF, base=dg.DEFAULT_BASE_URL)
    assert f"Overdue ({dg.MAX_ROWS + 3})" in digest.text
    assert "3 more items are not shown." in digest.text
    assert digest.text.count("\n- ") == dg.MAX_ROWS


def test_a_line_break_in_her_address_cannot_add_headers(mail_case: Store) -> None:
    with mail_case.engine.begin() as conn:
        conn.execute(
            update(m.User)
            .where(m.User.name == "Lan Nguyen")
            .values(email="lan@example.org\r\nBcc: all@example.org")
        )
    run = dg.DigestRun(AS_OF, Path("unused"), send=False)
    outcomes = {o.person: o for o in dg.run_digests(mail_case, run, ["Lan Nguyen"])}
    assert outcomes["Lan Nguyen"].outcome == "failed"
    assert "the email of Lan Nguyen" in outcomes["Lan Nguyen"].detail
