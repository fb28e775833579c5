"""The CAT's questions merged across CAT versions, by a versioned table the catalogue ships."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from bwcases.core.errors import UsageError

COLUMNS = ["question_id", "merged_id", "merged_label", "unit"]
_VERSION_MARK = "# version:"


@dataclass(frozen=True)
class QuestionMap:
    """Which question each exported Question.ID counts as, worded how, and its version."""

    version: str
    rows: pd.DataFrame  # COLUMNS, one row per exported Question.ID

    @classmethod
    def read(cls, text: str, source: str = "question map") -> QuestionMap:
        """A map from its CSV text: comment lines, one of them `# version: V`, then COLUMNS."""
        lines = text.splitlines()
        versions = [
            ln[len(_VERSION_MARK) :].strip() for ln in lines if ln.startswith(_VERSION_MARK)
        ]
        if len(versions) != 1 or not versions[0]:
            raise UsageError(f"{source}: needs one line '{_VERSION_MARK} V' naming its version")
        body = "\n".join(ln for ln in lines if not ln.startswith("#"))
        rows = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
        if list(rows.columns) != COLUMNS:
            raise UsageError(
                f"{source}: columns are {', '.join(COLUMNS)}, not {list(rows.columns)}"
            )
        twice = rows["question_id"][rows["question_id"].duplicated()]
        if len(twice):
            raise UsageError(f"{source}: question_id {twice.iloc[0]!r} is mapped twice")
        return cls(versions[0], rows)

    def merge(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A frame with question_id and question_label, its questions counted as the map
        merges them (a question the map does not list stays as exported)."""
        if frame.empty:
            return frame
        merged_id = frame["question_id"].map(self.rows.set_index("question_id")["merged_id"])
        merged_id = merged_id.where(merged_id.notna(), frame["question_id"])
        # the merged question's wording, for every spelling of it (its own ID's too)
        wording = self.rows.drop_duplicates("merged_id").set_index("merged_id")["merged_label"]
        label = merged_id.map(wording)
        return frame.assign(
            question_id=merged_id,
            question_label=label.where(label.notna() & (label != ""), frame["question_label"]),
        )

    def unit(self, question_id: str) -> str:
        """The unit of a merged question's facts, as the map gives it ('' when none)."""
        units = self.rows.drop_duplicates("merged_id").set_index("merged_id")["unit"]
        return str(units.get(question_id, ""))


@functools.cache
def question_map() -> QuestionMap:
    """The question map shipped with bwcases (bwcases/core/data/question_map.csv)."""
    data = resources.files("bwcases.core").joinpath("data/question_map.csv")
    return QuestionMap.read(data.read_text(encoding="utf-8"), "bwcases/core/data/question_map.csv")
