"""The store's assessments written back in the programme's export format."""

from __future__ import annotations

import csv
from typing import TextIO

import pandas as pd

from bwcases.core.catalogue import QuestionType
from bwcases.core.formats import ASSESSMENT_COLUMNS, DATE_FORMAT
from bwcases.core.safe_text import spreadsheet_frame
from bwcases.store import Store


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


def export_assessments(store: Store, out: TextIO) -> int:
    """Write every stored finding as an export row; returns how many rows."""
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
