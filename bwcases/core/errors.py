"""Exceptions: one base class, subclasses that carry what went wrong and where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bwcases.core.formats import DATE_FORMAT, MAX_PROBLEMS


class BwcasesError(Exception):
    """Base class of every error bwcases raises on purpose."""

    exit_status = 1


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file: where it is and why it is wrong."""

    file: str
    row: int | None
    column: str | None
    value: object
    reason: str
    label: str = "column"  # what `column` names: a column of a table, a field of a YAML file

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", {self.label} {self.column}"
        if self.value is None or self.value == "":
            return f"{where}: {self.reason}"
        return f"{where}: {self.value!r} {self.reason}"


class InputError(BwcasesError):
    """Bad input: every problem found (up to a cap); nothing was written."""

    exit_status = 2

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = list(problems)
        self.more = more
        lines = [str(p) for p in self.problems]
        if more:
            lines.append(f"... and {more} more problems not listed")
        lines.append("Nothing was written.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ImportConflict:
    """A field that a file and the app both changed, differently, since the file's last import."""

    file: str
    row: int | None
    item: str  # the item as the file names it, e.g. "VN001 / 1001 / CMP.MW.01"
    column: str
    file_value: object
    stored_value: object
    changed_by: str | None  # who last changed the stored item

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        by = self.changed_by or "someone"
        return (
            f"{where} (item {self.item}), column {self.column}: the file says "
            f"{_as_written(self.file_value)}, the store says {_as_written(self.stored_value)} "
            f"(changed by {by} since the last import)"
        )


def _as_written(value: object) -> str:
    """A value as a conflict shows it: as a file writes it, quoted; a long text shortened."""
    from bwcases.core.safe_text import shortened  # here: it brings pandas, which errors need not

    if value is None or value == "":
        return "nothing"
    if isinstance(value, dt.date):
        value = value.strftime(DATE_FORMAT)
    return repr(shortened(str(value)))


class ImportConflictError(BwcasesError):
    """A file changes fields that the app changed too since its last import; nothing was written."""

    exit_status = 2

    def __init__(self, conflicts: list[ImportConflict]) -> None:
        self.conflicts = list(conflicts)
        lines = [str(c) for c in self.conflicts[:MAX_PROBLEMS]]
        if len(self.conflicts) > MAX_PROBLEMS:
            lines.append(f"... and {len(self.conflicts) - MAX_PROBLEMS} more conflicts not listed")
        lines.append(
            "The file and the app both changed these fields since the file was last imported: "
            "take the app's value into the file, or import with --overwrite to let the file win."
        )
        lines.append("Nothing was written.")
        super().__init__("\n".join(lines))


class UsageError(BwcasesError):
    """A command or function was called with arguments that do not fit."""

    exit_status = 2


class NotFoundError(BwcasesError):
    """A record that was asked for does not exist."""

    exit_status = 2

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r} in the store")


class ConflictError(BwcasesError):
    """A write was made against a stale version of a record; nothing was overwritten."""

    exit_status = 1

    def __init__(
        self,
        kind: str,
        key: object,
        expected_version: int | None,
        current: dict[str, Any],
        yours: dict[str, Any],
    ) -> None:
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        self.current = current
        self.yours = yours
        by = current.get("updated_by") or "someone else"
        super().__init__(
            f"{kind} {key} was changed by {by} since you opened it "
            f"(your version {expected_version}, stored version {current.get('version')}); "
            "review both versions and apply yours again"
        )


class ValidationError(BwcasesError):
    """Values a person entered that cannot be saved, keyed by field name."""

    exit_status = 2

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


class StoreError(BwcasesError):
    """The store could not do what was asked: which store (no password), what happened, why."""

    exit_status = 1

    def __init__(self, store: str, detail: str) -> None:
        self.store = store
        self.detail = detail
        super().__init__(self.message())

    def message(self) -> str:
        return f"the store {self.store} failed ({self.detail}); nothing was written"


class StoreUnreachableError(StoreError):
    """The store's server cannot be reached (down, a wrong host or port, the network)."""

    def message(self) -> str:
        return (
            f"cannot reach the store {self.store} ({self.detail}): start its server, or correct "
            "the host and port in --db or BWCASES_DB"
        )


class StoreAccessError(StoreError):
    """The store refuses us: a wrong user or password, no such database, an unopenable file."""

    exit_status = 2

    def message(self) -> str:
        what = (
            "path or the file's permissions"
            if self.store.startswith("sqlite")
            else "user, password or database name"
        )
        return (
            f"cannot use the store {self.store} ({self.detail}): correct the {what} in --db "
            "or BWCASES_DB"
        )


class StoreFullError(StoreError):
    """The disk (or the database's space) is full; the change was rolled back."""

    def message(self) -> str:
        return (
            f"the store {self.store} is full ({self.detail}); nothing of this change was "
            "written: free disk space and run it again"
        )


class ConcurrentWriteError(StoreError):
    """Someone else wrote the same records at the same moment; this change was rolled back."""

    def message(self) -> str:
        return (
            f"someone else changed the same records of the store {self.store} at the same "
            f"moment ({self.detail}); nothing of this change was written: try again"
        )


class OutputError(BwcasesError):
    """A file could not be written (a full disk, a folder in the way); what was finished is kept."""

    exit_status = 1

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"cannot write {path} ({reason}): free disk space (or clear the way), then run the "
            "same command again; what was finished is kept"
        )


class NotAllowedError(BwcasesError):
    """A person asked for what her role does not let her do, e.g. review another's factory."""

    exit_status = 2


class AlreadyReviewedError(BwcasesError):
    """A proposal was accepted or sent back already (a second click, another device)."""

    exit_status = 1

    def __init__(self, proposal_id: int, state: str, reviewed_by: str | None) -> None:
        self.proposal_id = proposal_id
        self.state = state
        self.reviewed_by = reviewed_by
        super().__init__(
            f"proposal {proposal_id} was {state} by {reviewed_by or 'someone else'} already; "
            "reload to see the item as it is now"
        )


class ProposalConflictError(ValidationError):
    """Fields a proposal changes that someone else changed differently since it was made."""

    def __init__(self, proposal_id: int, fields: dict[str, str]) -> None:
        self.proposal_id = proposal_id
        super().__init__(fields)
