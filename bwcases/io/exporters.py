"""The store's assessments written back in the programme's export format."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, TextIO

import pandas as pd

from bwcases.core.catalogue import QuestionType
from bwcases.core.formats import ASSESSMENT_COLUMNS, DATE_FORMAT
from bwcases.core.safe_text import spreadsheet_cell, spreadsheet_frame
from bwcases.store import Store

_NCQ = QuestionType.NCQ.value


def _fields(values: Sequence[Any]) -> str:
    """Cells as csv.writer writes them in a row, each followed by the delimiter; text that
    would start a formula quoted first, as spreadsheet_frame does."""
    cells = [spreadsheet_cell(v) if isinstance(v, str) else v for v in values]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([*cells, ""])  # never one empty cell alone
    return buf.getvalue()[:-1]


@lru_cache(maxsize=1 << 16)
def _fact(fact: str | None) -> str:
    """An FGW row's Finding cell (its fact); facts repeat (head counts, yes/no), hence the cache."""
    return _fields(["" if fact is None else fact])[:-1]


_FINDINGS = {None: "", 0: "0", 1: "1"}


def export_assessments(store: Store, out: TextIO) -> int:
    """Write every stored finding as an export row; returns how many rows."""
    # An assessment's six cells and a question's five are the same on each of their rows: each
    # is written as CSV once. An NCQ row's end (question, Finding, Tags) is one of three texts
    # of its question's; an FGW row's end is its question's cells, its fact, its Tags.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(ASSESSMENT_COLUMNS))
    assessments = {
        quest: _fields([country, cycle, factory, name, quest, start.strftime(DATE_FORMAT)])
        for quest, country, cycle, factory, name, start in store.export_assessments_rows()
    }
    ncq: dict[int, dict[int | None, str]] = {}
    cells: dict[int, tuple[str, str]] = {}
    for ref, kind, label, qid, point, cluster, tags in store.export_question_rows():
        cells[ref] = question, end = _fields([kind, label, qid, point, cluster]), _tags(tags)
        if kind == _NCQ:
            ncq[ref] = {value: question + cell + end for value, cell in _FINDINGS.items()}
    count = 0
    for part in store.iter_findings():
        lines = []
        for quest, ref, finding, fact in part:
            ends = ncq.get(ref)
            if ends is not None and finding in ends:
                lines.append(assessments[quest] + ends[finding])
                continue
            question, end = cells[ref]
            cell = _fact(fact) if ends is None else str(finding)  # an NCQ's finding, else fact
            lines.append(f"{assessments[quest]}{question}{cell}{end}")
        out.write("".join(lines))
        count += len(lines)
    return count


def _tags(tags: str | None) -> str:
    """The end of a row: the delimiter, the Tags cell, the line's end."""
    return "," + _fields(["" if tags is None else tags])[:-1] + "\n"


# -- the export as it was written before (pandas frames, a batch of assessments at a time): the
# reference tests/test_exporters.py holds the rows above to, byte for byte ---------------------


def export_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A batch of findings as export rows, values spelt as they came in."""
    ncq = frame["question_type"] == QuestionType.NCQ.value
    finding = pd.to_numeric(frame["finding"]).astype("Int64").astype("string").fillna("")
    out = frame.assign(
        start_date=pd.to_datetime(frame["start_date"]).dt.strftime(DATE_FORMAT),
        finding=finding.where(ncq, frame["fact"].fillna("")),
        tags=frame["tags"].fillna(""),
    )
    out = out[list(ASSESSMENT_COLUMNS.values())]
    out.columns = list(ASSESSMENT_COLUMNS)
    return out


def export_by_frames(store: Store, out: TextIO) -> int:
    """export_assessments as pandas frames write it (slower, the same bytes)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(ASSESSMENT_COLUMNS))
    if not store.count_findings():  # an empty store has nothing to batch
        return 0
    count = 0
    for batch in store.iter_export(batch=2000):
        rows = spreadsheet_frame(export_rows(batch))  # no text a spreadsheet would run
        rows.to_csv(out, header=False, index=False, lineterminator="\n")
        count += len(rows)
    return count
