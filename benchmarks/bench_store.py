"""Store speed on a demo portfolio: import rows per second and `bwcases rates` wall time.

    .venv/bin/python benchmarks/bench_store.py [--factories 2000] [--keep DIR]

Prints figures, each beside a baseline measured in the same run on the same machine:
- export: `bwcases export assessments` (findings streamed through csv.writer) against the
  pandas frames it replaced (`export_by_frames`), best of two, interleaved, files compared;
- import: `bwcases import assessments` of the portfolio's own export into an empty SQLite store,
  against pandas merely reading the same CSV (the floor any importer stands on), best of three,
  interleaved;
- frame: `Store.frame` of every finding, against pandas given the rows as SQLAlchemy returns
  them (the construction it replaced), in this process, interleaved, outputs checked equal;
- rates: `bwcases rates --method latest` for the largest country and the last 12 months, and
  for all countries over the last 24 months, run as commands, against `bwcases --version` (the
  cost of starting Python and the command);
- rates growth (`--sizes 500,2000,8000`): on a demo store of each size, the all-country,
  two-year `bwcases rates --format csv` as a process (CPU of the whole process: Python's start,
  imports, the store opened, its statements, the CSV written; its peak memory) against the bare
  SQL it runs as a process of its own (Python, sqlite3, the statement, csv.writer: the ratio's
  baseline, a process as the issue's own 20 MB bare-SQL figure was) and in this process on an
  open connection (execute and fetch only: the query's own cost, which no command reaches on a
  small store, Python's start alone being 0.02 s); best of three, interleaved; and against the
  pandas path it replaced (`queries.rates_by_pandas`, once, its peak memory), outputs checked
  identical.
Targets (issue 2): rates <= 2 s. (Issue 16): import >= 500,000 rows/s into SQLite and <= 2x
pandas reading the file; the CLI <= 1.5x the bare SQL, memory flat with size (<= 100 MB at
8,000 factories).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from bwcases.analysis.metrics import Window
from bwcases.io.demo import fill_demo
from bwcases.io.exporters import export_assessments, export_by_frames
from bwcases.io.importers import import_file
from bwcases.store import RateQuery, Store
from bwcases.store import models as m


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def cpu_timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """The result, wall time and CPU time of a call: on a machine others share, the CPU time
    of both sides of a ratio is what the load does not move."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


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


def _peak_memory(argv: list[str], db: str) -> tuple[float, float, float, bytes]:
    """Wall time, CPU time, peak resident memory (MB) and output of one command in a process
    of its own.

    The peak is the child's VmHWM, read every few milliseconds: rusage's maxrss would count the
    pages of this (large) process that the child shared when it was forked."""
    env = {**os.environ, "BWCASES_DB": db}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        status = Path(f"/proc/{proc.pid}/status")
        peak = 0
        while True:
            pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                text = status.read_text()
            except OSError:  # it has just ended
                continue
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(code)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} failed: {err.read().decode()[-400:]}")
        return seconds, usage.ru_utime + usage.ru_stime, peak / 1024, out.read()


def bare_statement(store: Store, query: RateQuery) -> tuple[str, list[object]]:
    """The rates statement as SQLite runs it (the text and its parameters, dates as ISO text)."""
    statement, values = store.rates_sql(query)
    compiled = statement.compile(dialect=store.engine.dialect)
    params = [values.get(k, compiled.params[k]) for k in compiled.positiontup or []]
    return str(compiled), [p.isoformat() if hasattr(p, "isoformat") else p for p in params]


def bare_sql(conn: sqlite3.Connection, sql: str, params: list[object]) -> tuple[float, float, int]:
    """Wall time, CPU time and rows of the rates statement run once through sqlite3 alone, in
    this process, on a connection already open (the least Python can do: no start, no output)."""
    rows, seconds, cpu = cpu_timed(lambda: conn.execute(sql, params).fetchall())
    return seconds, cpu, len(rows)


# The same statement in a process of its own: Python, sqlite3, the rows written by csv.writer.
BARE_PROCESS = """
import csv, json, sqlite3, sys
sql, params = json.load(open(sys.argv[2]))
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
csv.writer(sys.stdout, lineterminator="\\n").writerows(conn.execute(sql, params))
"""


PANDAS_PATH = """
import sys
from bwcases.analysis.metrics import Window
from bwcases.analysis.queries import rates_by_pandas
from bwcases.cli import emit
from bwcases.store import Store
window = Window.months(sys.argv[1], sys.argv[2])
emit(rates_by_pandas(Store(), "latest", window=window, level="cp"), "csv")
"""


def rates_growth(work: Path, sizes: list[int], reference: bool) -> None:
    """The all-country, two-year rates on demo stores of each size: CLI, bare SQL, before."""
    figures = []
    for size in sizes:
        path = work / f"demo-{size}.sqlite"
        fresh = not path.exists()
        store = Store(f"sqlite:///{path}")
        if fresh:
            _, seconds = timed(fill_demo, store, factories=size, seed=1)
            print(f"rates growth  demo store of {size:,} factories built in {seconds:.0f} s")
        latest = pd.Timestamp(store.assessments_frame()["start_date"].max())
        first = (latest - pd.DateOffset(months=23)).strftime("%Y-%m")
        last = latest.strftime("%Y-%m")
        window = Window.months(first, last)
        query = RateQuery("latest", "cp", window.start, window.end)
        sql_text, params = bare_statement(store, query)
        statement = work / f"rates-{size}.json"
        statement.write_text(json.dumps([sql_text, params]))
        argv = [sys.executable, "-m", "bwcases", "rates", "--method", "latest", "--from", first]
        argv += ["--to", last, "--level", "cp", "--format", "csv"]
        bare_argv = [sys.executable, "-c", BARE_PROCESS, str(path), str(statement)]
        inf = float("inf")
        cli = cli_cpu = sql = sql_cpu = proc = proc_cpu = inf
        peak = proc_peak = 0.0
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            for _ in range(3):  # interleaved, so that all three meet the same machine
                seconds, cpu, rows = bare_sql(conn, sql_text, params)
                sql, sql_cpu = min(sql, seconds), min(sql_cpu, cpu)
                seconds, cpu, memory, bare_out = _peak_memory(bare_argv, store.url)
                proc, proc_cpu = min(proc, seconds), min(proc_cpu, cpu)
                proc_peak = max(proc_peak, memory)
                seconds, cpu, memory, out = _peak_memory(argv, store.url)
                cli, cli_cpu, peak = min(cli, seconds), min(cli_cpu, cpu), max(peak, memory)
        assert out.count(b"\n") == rows + 1 == bare_out.count(b"\n") + 1, "rows differ"
        line = (
            f"rates growth  {size:>5,} factories, every country {first}..{last}, {rows} rows: "
            f"CLI {cli:.2f} s (CPU {cli_cpu:.2f} s), peak {peak:.0f} MB | bare SQL as a "
            f"process, CSV out {proc:.2f} s (CPU {proc_cpu:.2f} s), peak {proc_peak:.0f} MB: "
            f"CLI {cli / proc:.1f}x, CPU {cli_cpu / proc_cpu:.1f}x (target <= 1.5x) | bare SQL "
            f"in this process {sql:.2f} s (CPU {sql_cpu:.2f} s): CLI {cli / sql:.1f}x, CPU "
            f"{cli_cpu / sql_cpu:.1f}x"
        )
        if reference:
            before, before_cpu, before_peak, expected = _peak_memory(
                [sys.executable, "-c", PANDAS_PATH, first, last], store.url
            )
            same = "same CSV" if expected == out else "CSV DIFFERS"
            line += f" | pandas path {before:.2f} s (CPU {before_cpu:.2f} s), peak "
            line += f"{before_peak:.0f} MB; {before_cpu / cli_cpu:.1f}x the CLI's CPU, {same}"
        print(line, flush=True)
        figures.append((size, cli_cpu, peak, sql_cpu))
        store.dispose()
    if len(figures) > 1:
        (small, t0, m0, s0), (large, t1, m1, s1) = figures[0], figures[-1]
        print(
            f"rates growth  {small:,} -> {large:,} factories ({large / small:.0f}x): CLI CPU "
            f"{t1 / t0:.1f}x, peak memory {m1 / m0:.2f}x, bare SQL CPU {s1 / s0:.1f}x"
        )


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
    parser.add_argument(
        "--sizes",
        default="500,2000,8000",
        help="factories of the demo stores rates growth is measured on ('' for none)",
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="rates growth without the pandas path"
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bwcases-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for old in [*work.glob("demo.sqlite*"), *work.glob("imported.sqlite*")]:
        old.unlink()  # the growth section's stores (demo-N.sqlite) are kept: they take a while

    demo = Store(f"sqlite:///{work / 'demo.sqlite'}")
    summary, seconds = timed(fill_demo, demo, factories=args.factories, seed=1)
    print(f"demo-data     {args.factories} factories in {seconds:.1f} s  ({summary})")

    export = work / "assessments.csv"
    before = work / "assessments-frames.csv"
    ours = theirs = ours_cpu = theirs_cpu = float("inf")
    for _ in range(2):  # interleaved, so that both meet the same machine
        with export.open("w", encoding="utf-8", newline="") as fh:
            rows, seconds, cpu = cpu_timed(export_assessments, demo, fh)
        ours, ours_cpu = min(ours, seconds), min(ours_cpu, cpu)
        with before.open("w", encoding="utf-8", newline="") as fh:
            _, seconds, cpu = cpu_timed(export_by_frames, demo, fh)
        theirs, theirs_cpu = min(theirs, seconds), min(theirs_cpu, cpu)
    same = "byte-identical" if export.read_bytes() == before.read_bytes() else "FILES DIFFER"
    before.unlink()
    size = export.stat().st_size / 1e6
    print(
        f"export        {rows:,} rows ({size:.0f} MB) in {ours:.1f} s (CPU {ours_cpu:.1f} s) | "
        f"as pandas frames (before) {theirs:.1f} s (CPU {theirs_cpu:.1f} s); ratio "
        f"{theirs / ours:.1f}x, CPU {theirs_cpu / ours_cpu:.1f}x faster, {same} (target >= 4x)"
    )

    def read_only() -> int:
        return sum(len(c) for c in pd.read_csv(export, dtype=str, chunksize=200_000))

    def import_once() -> Store:
        for old in work.glob("imported.sqlite*"):
            old.unlink()
        store = Store(f"sqlite:///{work / 'imported.sqlite'}")
        import_file(store, "assessments", export)
        return store

    seconds = cpu = baseline = baseline_cpu = float("inf")
    for attempt in range(3):  # interleaved, so that both meet the same machine; best of three
        _, wall, used = cpu_timed(read_only)
        baseline, baseline_cpu = min(baseline, wall), min(baseline_cpu, used)
        target, wall, used = cpu_timed(import_once)
        seconds, cpu = min(seconds, wall), min(cpu, used)
        if attempt < 2:
            target.dispose()
    print(
        f"import        {rows / seconds:,.0f} rows/s ({seconds:.1f} s; CPU {cpu:.1f} s, "
        f"{rows / cpu:,.0f} rows/s; target >= 500,000) | pandas read_csv alone "
        f"{rows / baseline:,.0f} rows/s (CPU {baseline_cpu:.1f} s); "
        f"ratio {seconds / baseline:.1f}x, CPU {cpu / baseline_cpu:.1f}x (target <= 2x)"
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
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    if sizes:
        rates_growth(work, sizes, reference=not args.no_reference)
    if not args.keep:
        print(f"(stores in {work}; pass --keep DIR to choose where)")


if __name__ == "__main__":
    main()
