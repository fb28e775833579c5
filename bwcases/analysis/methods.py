"""What a call of rates asks: the method, the level, the window of months (no pandas: the
command that prints rates as rows imports these alone)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from bwcases.core.errors import UsageError


class Method(StrEnum):
    """How the assessment that counts for each factory is chosen."""

    LATEST = "latest"
    CYCLE = "cycle"
    PANEL = "panel"


class Level(StrEnum):
    """What a rate is computed for."""

    CP = "cp"
    CLUSTER = "cluster"
    QUESTION = "question"
    FACTORY = "factory"


@dataclass(frozen=True)
class Window:
    """A span of whole months, both ends included."""

    start: dt.date
    end: dt.date

    @classmethod
    def months(cls, first: str, last: str) -> Window:
        """The window from month `first` to month `last` (YYYY-MM), both included."""
        start = _month(first, "--from")
        y, m = _month(last, "--to").timetuple()[:2]
        end = dt.date(y, m, calendar.monthrange(y, m)[1])
        if end < start:
            raise UsageError(f"the window ends ({last}) before it starts ({first})")
        return cls(start, end)

    @classmethod
    def given(cls, first: str | None, last: str | None) -> Window | None:
        """The window from `first` to `last` when both are given, None when neither is."""
        if first is None and last is None:
            return None
        if first is None or last is None:
            given, missing = ("--from", "--to") if first is not None else ("--to", "--from")
            raise UsageError(f"{given} needs {missing}: a window is two months, YYYY-MM")
        return cls.months(first, last)

    @classmethod
    def parse(cls, period: str) -> Window:
        """A window written YYYY-MM:YYYY-MM."""
        first, sep, last = period.partition(":")
        if not sep:
            raise UsageError(f"period {period!r} is not YYYY-MM:YYYY-MM")
        return cls.months(first, last)

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}:{self.end:%Y-%m}"


def _month(text: str, what: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}", text.strip()) or not 1 <= int(text[5:7]) <= 12:
        raise UsageError(f"{what} {text!r} is not a month written YYYY-MM")
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def check_options(
    method: Method | str,
    *,
    window: Window | None,
    cycle: int | None,
    by_cycle: bool = False,
    level: Level | str = Level.CP,
    pooled: bool = False,
) -> Method:
    """The method, once its options are known to fit it: an option it would ignore is refused."""
    method = Method(method)
    if pooled and Level(level) is Level.FACTORY:
        raise UsageError(
            "factory scores are one row per factory: pooling the countries (--country all) "
            "does not apply to them; leave out --country for every country's factories"
        )
    if method is Method.LATEST:
        if window is None:
            raise UsageError("the latest method needs a window (--from and --to)")
        if cycle is not None:
            raise UsageError(
                "--cycle does not apply to the latest method: for the assessments of cycle N "
                "in a window use --method cycle --cycle N --from --to; for the latest "
                "assessments by their cycle, --by-cycle"
            )
        return method
    if cycle is None or cycle < 1:
        raise UsageError(f"the {method.value} method needs a cycle of 1 or more (--cycle)")
    if by_cycle:
        raise UsageError(
            f"--by-cycle applies to the latest method only: the {method.value} method's rates "
            "are by cycle already"
        )
    if method is Method.PANEL and window is not None:
        raise UsageError(
            "--from and --to do not apply to the panel method: it takes cycles 1 to N of each "
            "factory whenever they were assessed"
        )
    return method
