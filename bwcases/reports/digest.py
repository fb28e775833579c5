"""Reminder digests: for each person, what is overdue, due soon, waiting for her review or
verification, or sent back to her, as a mail in her language, delivered or written as a file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bwcases.auth.people import Person, Role, person
from bwcases.core import links
from bwcases.core.domain import Status, Verification
from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.formats import DATE_FORMAT
from bwcases.core.i18n import (
    COMPLIANCE_POINT,
    DEFAULT,
    N_,
    domain_name,
    is_rtl,
    language,
    translator,
)
from bwcases.io.mail import (
    Mailer,
    default_sender,
    file_name,
    mail_address,
    smtp_server,
    write_eml,
)
from bwcases.render.templating import render
from bwcases.reports.common import direction
from bwcases.store import DigestItems, DigestScope, Store
from bwcases.store.digests import DUE_HORIZON_DAYS

BASE_URL_ENV = "BWCASES_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8866"  # what `bwcases serve` prints (web.serve.HOST, port)
TRACKER_PAGE, QUEUE_PAGE = links.TRACKER_PAGE, links.QUEUE_PAGE  # the pages a digest opens
MAX_ROWS = 50  # per list: a country's staff may have hundreds; the work queue holds them all
MAX_TEXT = 160  # an issue or a comment, in characters, before it is shortened
TEMPLATE = "reports/digest.html.j2"
# what a run did for one person
SENT, WRITTEN, FAILED, SKIPPED = "sent", "written", "failed", "skipped"

STATUS_LABELS = {  # as the apps label them (apps.common, a tier above)
    Status.PENDING.value: N_("Pending"),
    Status.IN_PROGRESS.value: N_("In Progress"),
    Status.COMPLETED.value: N_("Completed"),
}


@dataclass(frozen=True)
class Digest:
    """One person's digest: the mail's subject and its two parts."""

    person: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DigestOutcome:
    """What a run did for one person: sent, written, failed or skipped, and the detail (the
    address, the file, the error, or why she was skipped)."""

    person: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class Row:
    """One entry of a digest: what it is about, its address, and the lines under it, each
    line in pieces (set apart from each other in a right-to-left mail)."""

    title: str
    url: str
    lines: tuple[tuple[str, ...], ...]


def base_url(given: str | None = None) -> str:
    """The apps' address the links start with: --base-url, else BWCASES_BASE_URL, else the one
    `bwcases serve` prints on this machine."""
    name = "--base-url" if given else BASE_URL_ENV
    value = (given or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UsageError(
            f"{name}: {value!r} is not the apps' address, like https://cases.example.org"
        )
    return value.rstrip("/")


def digest_scope(who: Person) -> DigestScope | None:
    """Which items and lists a person's digest holds, as the apps scope her; None: no digest
    (read-only people, and a factory's person without a factory)."""
    if who.role is Role.FACTORY:
        return DigestScope(factory_id=who.factory, proposer=who.name) if who.factory else None
    if not who.can_edit:
        return None
    scope = who.scope()
    return DigestScope(
        advisor=scope.get("advisor"),
        country=scope.get("country"),
        reviews=True,  # advisors and staff accept or send back the factories' proposals
        verifies=who.can_verify,
        sent_back_items=who.role is Role.ADVISOR,  # staff send items back to the advisor
    )


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date()
    return value.strftime(DATE_FORMAT) if value else ""


def _one_line(text: Any, width: int = MAX_TEXT) -> str:
    """Free text on one line, shortened: a reminder points at it, the app shows it whole."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


class Composer:
    """Builds a person's digest in her language, with links into the apps."""

    def __init__(self, name: str, lang: str, base: str, as_of: dt.date) -> None:
        self.name, self.lang, self.base, self.as_of = name, language(lang), base, as_of
        self._: Callable[[str], str] = translator(self.lang)

    def url(self, page: str, **query: Any) -> str:
        """An app's address with this query and her language."""
        return links.page_url(self.base, page, **query, lang=self.lang)

    def item_url(self, factory_id: str, item_id: int | None) -> str:
        """The tracker with the item open (the factory's plan for a proposed new item)."""
        return links.item_url(self.base, factory_id, item_id, self.lang)

    def where(self, r: dict[str, Any]) -> tuple[str, ...]:
        """Factory, item number and compliance point: the pieces of one line."""
        _ = self._
        number = f"#{r['item_id']}" if r.get("item_id") is not None else _("New item")
        parts = [f"{r['factory_id']} {_one_line(r['factory_name'], 80)}", number]
        if r.get("compliance_point"):
            parts.append(domain_name(COMPLIANCE_POINT, str(r["compliance_point"]), self.lang))
        return tuple(parts)

    def title(self, r: dict[str, Any]) -> str:
        _ = self._
        issue = _one_line(r.get("issue"))
        if issue:
            return issue
        if r.get("item_id") is not None:
            return links.item_name(r["item_id"], _)
        return _("New item")

    def item_row(self, r: dict[str, Any]) -> Row:
        """A plan item: where, when due and its status."""
        _ = self._
        when = [_("Due {date}").format(date=_date(r["due_date"]))] if r.get("due_date") else []
        status = STATUS_LABELS.get(str(r.get("status")))
        state = [*when, _(status) if status else str(r.get("status") or "")]
        if r.get("verification") == Verification.REJECTED.value:
            state.append(_("Sent back"))
        lines = (self.where(r), tuple(s for s in state if s))
        return Row(self.title(r), self.item_url(r["factory_id"], r["item_id"]), lines)

    def proposal_row(self, r: dict[str, Any]) -> Row:
        """A proposal: where, who proposed it when, and (sent back) who did and why."""
        _ = self._
        lines: list[tuple[str, ...]] = [self.where(r)]
        if r.get("reviewed_by"):
            when = _date(r["reviewed_at"])
            said = _("Sent back by {name} on {date}").format(name=r["reviewed_by"], date=when)
            lines.append((said,))
            if r.get("review_comment"):
                lines.append((f"“{_one_line(r['review_comment'])}”",))
        else:
            when = _date(r["proposed_at"])
            said = _("Proposed by {name} on {date}").format(name=r["proposed_by"], date=when)
            lines.append((said,))
        return Row(self.title(r), self.item_url(r["factory_id"], r["item_id"]), tuple(lines))

    def row(self, r: dict[str, Any]) -> Row:
        return self.proposal_row(r) if r.get("kind") == "proposal" else self.item_row(r)

    def sections(self, items: DigestItems) -> list[tuple[str, int, list[Row], str]]:
        """(title, how many, the rows shown, what is not shown) of each list that has rows."""
        _ = self._
        lists = [
            (_("Overdue"), items.overdue),
            (_("Due within {days} days").format(days=DUE_HORIZON_DAYS), items.due_soon),
            (_("Proposals waiting for your review"), items.to_review),
            (_("Completed items waiting for your verification"), items.to_verify),
            (_("Sent back to you"), items.sent_back),
        ]
        shown = []
        for title, rows in lists:
            if rows:
                hidden = max(0, len(rows) - MAX_ROWS)
                more = _("{n} more items are not shown.").format(n=hidden) if hidden else ""
                shown.append((title, len(rows), [self.row(r) for r in rows[:MAX_ROWS]], more))
        return shown

    def compose(self, items: DigestItems, home: tuple[str, str]) -> Digest:
        """Her digest: subject, plain text and HTML."""
        _ = self._
        day = _date(self.as_of)
        subject = _("Your reminders for {date}").format(date=day)
        greeting = _("Hello {name},").format(name=self.name)
        intro = _("Here is what waits for you on {date}.").format(date=day)
        footer = _(
            "You get this message on the days something waits for you, at the address of your "
            "bwcases account."
        )
        sections = self.sections(items)
        home_label, home_url = home
        rtl = is_rtl(self.lang)

        def iso(piece: str) -> str:  # a piece keeps its own direction in a right-to-left line
            return f"\u2068{piece}\u2069" if rtl else piece

        def joined(line: tuple[str, ...]) -> str:
            return " · ".join(iso(piece) for piece in line)

        text = [greeting, "", intro, ""]
        for title, count, rows, more in sections:
            text.append(f"{title} ({count})")
            for row in rows:
                text += [f"- {iso(row.title)}", *(f"  {joined(line)}" for line in row.lines)]
                text.append(f"  {row.url}")
            text += [more] if more else []
            text.append("")
        text += [f"{home_label}: {home_url}", "", "-- ", footer, ""]
        html = render(
            TEMPLATE,
            lang=self.lang,
            dir=direction(self.lang),
            subject=subject,
            greeting=greeting,
            intro=intro,
            sections=sections,
            home=home_label,
            home_url=home_url,
            footer=footer,
        )
        return Digest(self.name, subject, "\n".join(text), html)


def compose(
    who: Person, items: DigestItems, *, as_of: dt.date, base: str, lang: str | None = None
) -> Digest:
    """A person's digest of `as_of` in her language, its links under the apps' address `base`."""
    composer = Composer(who.name, lang or DEFAULT, base, as_of)
    _ = composer._
    if who.role is Role.FACTORY and who.factory:
        home = (_("Open your factory's plan"), composer.url(TRACKER_PAGE, factory=who.factory))
    else:
        home = (_("Open your work queue"), composer.url(QUEUE_PAGE))
    return composer.compose(items, home)


def message(digest: Digest, sender: Address, to: Address | None) -> EmailMessage:
    """The digest as a mail: plain text, with the HTML as its alternative."""
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    if to is not None:
        msg["To"] = to
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=sender.domain or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    return msg


@dataclass(frozen=True)
class DigestRun:
    """How a run delivers: over SMTP (`smtp_url` with `send`), else as files in `out_dir`."""

    as_of: dt.date
    out_dir: Path
    send: bool = False
    smtp_url: str | None = None
    base: str = DEFAULT_BASE_URL
    sender: str = ""
    again: bool = False  # deliver again a digest of the day that went out already


def run_digests(
    store: Store, run: DigestRun, names: Sequence[str] | None = None
) -> list[DigestOutcome]:
    """Each person's digest of the day (everyone's when `names` is None), delivered or written;
    a failure is recorded (the next run tries again) and the others go on."""
    sender = mail_address(run.sender or default_sender(), "BWCASES_MAIL_FROM")
    mailer = Mailer(smtp_server(run.smtp_url)) if run.send and run.smtp_url else None
    done = store.digest_outcomes(run.as_of)
    taken: set[str] = set()
    outcomes = []
    try:
        for record in store.digest_recipients(names):
            outcomes.append(_one(store, run, record, done, sender, mailer, taken))
    finally:
        if mailer is not None:
            mailer.close()
    return outcomes


def _one(
    store: Store,
    run: DigestRun,
    record: dict[str, Any],
    done: dict[str, dict[str, Any]],
    sender: Address,
    mailer: Mailer | None,
    taken: set[str],
) -> DigestOutcome:
    """One person's digest: skipped, or delivered (or written) and recorded."""
    who = person(record)
    assert who is not None
    name = who.name
    before = done.get(name, {})
    # A mail sent reached her; a file written did if files are how this site delivers. So a
    # run by mail skips only what was sent (a morning's preview in files does not stop it).
    given = (SENT,) if mailer is not None else (SENT, WRITTEN)
    if before.get("outcome") in given and not run.again:
        at = before["at"].strftime("%H:%M UTC") if before.get("at") else ""
        return DigestOutcome(
            name, SKIPPED, f"already {before['outcome']} for this day {at}".strip()
        )
    scope = digest_scope(who)
    if scope is None:
        return DigestOutcome(name, SKIPPED, f"her role ({who.role.value}) gets no digest")
    items = store.digest_items(scope, run.as_of)
    if items.empty:
        return DigestOutcome(name, SKIPPED, "nothing to report")
    email = (record.get("email") or "").strip()
    if mailer is not None and not email:
        return DigestOutcome(name, SKIPPED, "no email address (bwcases users add --email)")
    try:
        to = mail_address(email, f"the email of {name}", name) if email else None
        digest = compose(who, items, as_of=run.as_of, base=run.base, lang=record.get("language"))
        mail = message(digest, sender, to)
        if mailer is not None:
            mailer.send(mail)
            outcome, detail = SENT, email
        else:
            path = run.out_dir / f"{file_name(name, taken)}.eml"
            outcome, detail = WRITTEN, str(write_eml(mail, path))
    except (BwcasesError, OSError) as exc:
        error = str(exc) if isinstance(exc, BwcasesError) else f"{exc.filename}: {exc.strerror}"
        store.record_digest(name, run.as_of, FAILED, error)
        return DigestOutcome(name, FAILED, error)
    store.record_digest(name, run.as_of, outcome)
    return DigestOutcome(name, outcome, detail)
