"""Store speed on a demo portfolio: import rows per second and `bwcases rates` wall time.

    .venv/bin/python benchmarks/bench_store.py [--factories 2000] [--keep DIR]

Prints figures, each beside a baseline measured in the same run on the same machine:
- import: `bwcases import assessments` of the portfolio's own export into an empty SQLite store,
  against pandas merely reading the same CSV (the floor any importer stands on);
- frame: `Store.frame` of every finding, against pandas given the rows as SQLAlchemy returns
  them (the construction it replaced), in this process, interleaved, outputs checked equal;
- rates: `bwcases rates --method latest` for the largest country and the last 12 months, and
  for all countries over the last 24 months, run as commands, against `bwcases --version` (the
  cost of starting Python and the command).
Targets (issue 2): import >= 200,000 rows/s into SQLite; rates <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from bwcases.io.demo import fill_demo
from bwcases.io.exporters import export_assessments
from bwcases.io.importers import import_file
from bwcases.store import Store
from bwcases.store import models as m


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def command(*args: str, db: str) -> float:
    """Wall time of one bwcases command, best of three."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bwcases", *args],
            check=True,
            capture_output=True,
            env={**os.environ, "BWCASES_DB": db},
        )
        best = min(best, time.perf_counter() - start)
    return best


def frame_ratio(store: Store) -> tuple[int, float, float]:
    """Rows, and the best of three of `Store.frame` and of pandas given SQLAlchemy's rows."""
    statement = select(m.Finding)

    def from_rows() -> pd.DataFrame:
        with store.engine.connect() as conn:
            result = conn.execute(statement)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    ours = theirs = float("inf")
    for _ in range(3):  # interleaved, so that both meet the same machine
        frame, seconds = timed(store.frame, statement)
        ours = min(ours, seconds)
        rows, seconds = timed(from_rows)
        theirs = min(theirs, seconds)
    pd.testing.assert_frame_equal(frame, rows, check_exact=True)
    return len(frame), ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the stores and export in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bwcases-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.sqlite*"):
        old.unlink()

    demo = Store(f"sqlite:///{work / 'demo.sqlite'}")
    summary, seconds = timed(fill_demo, demo, factories=args.factories, seed=1)
    print(f"demo-data     {args.factories} factories in {seconds:.1f} s  ({summary})")

    export = work / "assessments.csv"
    with export.open("w", encoding="utf-8", newline="") as fh:
        rows, seconds = timed(export_assessments, demo, fh)
    size = export.stat().st_size / 1e6
    print(f"export        {rows:,} rows ({size:.0f} MB) in {seconds:.1f} s")

    def read_only() -> int:
        return sum(len(c) for c in pd.read_csv(export, dtype=str, chunksize=200_000))

    _, baseline = timed(read_only)
    target = Store(f"sqlite:///{work / 'imported.sqlite'}")
    _, seconds = timed(import_file, target, "assessments", export)
    print(
        f"import        {rows / seconds:,.0f} rows/s ({seconds:.1f} s; target >= 200,000) | "
        f"pandas read_csv alone {rows / baseline:,.0f} rows/s; ratio {seconds / baseline:.1f}x"
    )

    n, ours, theirs = frame_ratio(target)
    print(
        f"frame         {n:,} findings in {ours:.2f} s | "
        f"from SQLAlchemy's rows {theirs:.2f} s; ratio {theirs / ours:.1f}x faster (same frame)"
    )

    register = target.factories_frame()
    country = register["country"].value_counts().index[0]
    latest = pd.to_datetime(target.assessments_frame()["start_date"]).max()
    first = (latest - pd.DateOffset(months=11)).strftime("%Y-%m")
    db = target.url
    startup = command("--version", db=db)
    rates = command(
        "rates",
        "--method",
        "latest",
        "--from",
        first,
        "--to",
        latest.strftime("%Y-%m"),
        "--country",
        country,
        "--format",
        "csv",
        db=db,
    )
    print(
        f"rates         {rates:.2f} s for {country}, {first}..{latest:%Y-%m} (target <= 2 s) | "
        f"bwcases --version {startup:.2f} s; ratio {rates / startup:.1f}x"
    )
    since = (latest - pd.DateOffset(months=23)).strftime("%Y-%m")
    every = command(
        "rates",
        "--method",
        "latest",
        "--from",
        since,
        "--to",
        latest.strftime("%Y-%m"),
        "--level",
        "cp",
        "--format",
        "csv",
        db=db,
    )
    print(
        f"rates (all)   {every:.2f} s for every country, {since}..{latest:%Y-%m} | "
        f"bwcases --version {startup:.2f} s; ratio {every / startup:.1f}x"
    )
    if not args.keep:
        print(f"(stores in {work}; pass --keep DIR to choose where)")


if __name__ == "__main__":
    main()
