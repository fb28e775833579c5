"""Moving a tracker's item on: progress recorded or proposed, a fix verified or sent back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bwcases.apps.common import (
    STATUS_LABELS,
    as_date,
    failure_text,
    label_of,
    notice_html,
    problems_shown,
)
from bwcases.apps.remediation import validate_progress
from bwcases.core.domain import Status
from bwcases.core.errors import BwcasesError, ConflictError, ValidationError
from bwcases.store import Upload

if TYPE_CHECKING:
    from bwcases.apps.tracker import RemediationTracker

DRAFTS = "progress"  # the form's name among a person's drafts


def record_progress(app: RemediationTracker) -> bool:
    """Validate and save an update with its files; the form keeps its input on failure."""
    _ = app._
    factory = app.picker.row(app.factory_id)
    proposing = bool(app.item) and app.may_propose(factory)
    if not app.item or not (proposing or app.may_edit(factory)):
        return False
    values = {k: f.get() for k, f in app.fields.items()}
    staff = bool(app.person and app.person.can_verify)
    without = str(values["without_evidence"]).strip() if staff else ""
    values["without_evidence"] = without
    uploads, bad_files = app.chosen.uploads, app.chosen.problem
    problems = validate_progress(
        values,
        old_status=Status(app.item["status"]),
        opened_on=as_date(app.item.get("opened_on")),
        today=app.today,
        evidence=app.evidence_count + len(uploads),
        _=_,
    )
    if bad_files:
        problems["files"] = bad_files
    if not problems_shown(app.fields, problems, app.record_message, _):
        return False
    if proposing:
        return propose_progress(app, values, uploads)
    item_id = int(app.item["item_id"])
    version = int(app.item["version"])
    try:
        for attempt in (1, 2):
            try:
                app.store.add_progress(
                    item_id,
                    date=values["date"],
                    note=str(values["note"]).strip(),
                    new_status=Status(values["status"]),
                    expected_version=version,
                    actor=app.person.name if app.person else "",
                    files=uploads,
                    without_evidence=without,
                    draft=(DRAFTS, f"item:{item_id}"),
                )
                break
            except ConflictError as exc:
                # someone changed the item's texts meanwhile: her update stands unless
                # the status it moves from changed too
                if attempt == 2 or exc.current.get("status") != app.item["status"]:
                    raise
                version = int(exc.current["version"])
    except ConflictError as exc:
        app.item = app.store.plan_item(item_id)
        app.draw_item()
        app.record_message.value = notice_html(
            _(
                "Not saved: {name} changed this item meanwhile (it is now {status}). "
                "Your update is still in the form: check it and record it again."
            ).format(
                name=exc.current.get("updated_by") or _("someone else"),
                status=label_of(STATUS_LABELS, app.item["status"], _),
            ),
            "error",
        )
        return False
    except BwcasesError as exc:
        return _refused(app, exc)
    _reopen(app, item_id)
    done = _("The update was recorded.")
    if uploads:
        names = ", ".join(u.filename for u in uploads)
        done += " " + _("Files stored: {names}.").format(names=names)
    app.record_message.value = notice_html(done, "success")
    return True


def propose_progress(
    app: RemediationTracker, values: dict[str, Any], uploads: list[Upload]
) -> bool:
    """A factory person's update, checked like one: a proposal for the advisor to review."""
    _ = app._
    assert app.person is not None
    item_id = int(app.item["item_id"])
    try:
        app.store.propose_progress(
            app.person.name,
            item_id,
            status=Status(values["status"]),
            note=str(values["note"]).strip(),
            base_version=int(app.item["version"]),
            date=values["date"],
            files=uploads,
            draft=(DRAFTS, f"item:{item_id}"),
        )
    except ConflictError as exc:
        app.item = app.store.plan_item(item_id)
        app.draw_item()
        app.record_message.value = notice_html(
            _(
                "Not proposed: {name} changed this item meanwhile. Your update is still in "
                "the form: check it and propose it again."
            ).format(name=exc.current.get("updated_by") or _("someone else")),
            "error",
        )
        return False
    except BwcasesError as exc:
        return _refused(app, exc)
    _reopen(app, item_id)
    app.record_message.value = notice_html(_("Proposed — waiting for review."), "success")
    return True


def _refused(app: RemediationTracker, exc: BwcasesError) -> bool:
    """Show why the store refused an update: its fields marked if it was a validation error."""
    if isinstance(exc, ValidationError):
        for key, field in app.fields.items():
            field.show_error(exc.fields.get(key))
        app.record_message.value = notice_html(str(exc), "error")
    else:
        app.record_message.value = notice_html(failure_text(app, exc), "error")
    return False


def _reopen(app: RemediationTracker, item_id: int) -> None:
    """Redraw the tracker on the saved item, with the form's draft and chosen files let go."""
    app.keeper.saved()  # before anything else: a pending draft must not outlive the save
    app.chosen.clear()
    app.load()
    app.open_item(item_id)  # draws the plan (its row marked) and the item
    app.keeper.saved()


def verify_item(app: RemediationTracker, verified: bool) -> bool:
    """Programme staff verify the fix of a completed public-disclosure item, or send it back."""
    _ = app._
    if not (
        app.person and app.person.can_verify and app.person.covers(app.picker.row(app.factory_id))
    ):
        return False
    note = str(app.verify_note.control.value).strip()
    if not verified and not note:
        app.verify_note.show_error(_("Say why the fix is sent back."))
        return False
    if verified and not app.evidence_count and not note:
        app.verify_note.show_error(_("No evidence file was recorded: say why the fix is verified."))
        return False
    app.verify_note.show_error(None)
    try:
        app.store.verify_item(
            int(app.item["item_id"]),
            verified=verified,
            note=note,
            expected_version=int(app.item["version"]),
            actor=app.person.name,
        )
    except BwcasesError as exc:
        app.verify_message.value = notice_html(failure_text(app, exc), "error")
        return False
    item_id = int(app.item["item_id"])
    app.verify_note.control.value = ""
    app.load()
    app.open_item(item_id)  # draws the plan (its row marked) and the item
    done = _("The fix is verified.") if verified else _("The item was sent back to In Progress.")
    app.item_message.value = notice_html(done, "success")
    return True
