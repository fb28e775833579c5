"""Briefs end to end: `bwcases brief partner` at two sizes, its parts, and the PDF engines.

    .venv/bin/python benchmarks/bench_brief.py [--rounds 3] [--store PATH]
                                               [--only command,parts,pdf]

On a 200-factory demo store: BUY003 over 2025-07:2025-12 (about 28-31 pages, the size issue 16
measured) and BUY001 over 2024-01:2025-12 (about 60 pages, the brief since issue 15). Printed,
best of `--rounds`, the rounds interleaved, wall and CPU seconds (CPU of the whole process tree: the
command, its kernel, its Chromium), each with its ratio to the first row of its table:

- command: the whole `bwcases brief` command, with each PDF engine;
- parts: the same brief's steps in one process (imports, kernel start, warm-up, notebook, HTML,
  PDF), in the order the command takes them;
- pdf: the same HTML made a PDF by WeasyPrint with its own options, with the brief's CSS changed
  (what each rule costs its layout), and by Chromium's print.

A command's CPU is its process tree's, sampled from /proc every 10 ms (what a process spends in its
last 10 ms is missed). In the pdf table, Chromium's renderers are reaped by its zygote, whose CPU
is not counted: the row `chromium --no-zygote` runs them as children of the browser, so that their
CPU is counted. The last column is the last round's.
Target (issue 16): the brief <= 4 s end to end.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bwcases

SIZES = {"short": ("BUY003", "2025-07:2025-12"), "long": ("BUY001", "2024-01:2025-12")}
ENGINES = ("chromium", "weasyprint")
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    return time.process_time()


def process_cpu(pid: int | None) -> float:
    """CPU seconds of a running process (a kernel), from /proc."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]


# -- the whole command -----------------------------------------------------------------------


def tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds so far of a process and all its descendants (by pid, from /proc)."""
    frontier, visited = [root], set()
    while frontier:
        pid = frontier.pop()
        visited.add(pid)
        seen[pid] = max(seen.get(pid, 0.0), process_cpu(pid))
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # gone meanwhile
            continue
        frontier = [p for p in frontier if p not in visited]


def command(store: str, size: str, engine: str, out: Path) -> tuple[float, float, str]:
    """The whole command: wall seconds, and the CPU seconds of its process tree (the command,
    its kernel, its Chromium), each process sampled every 10 ms until it ends."""
    partner, period = SIZES[size]
    argv = [sys.executable, "-m", "bwcases", "--db", store, "brief", "partner", partner]
    argv += ["--period", period, "-o", str(out)]
    env = {**os.environ, "BWCASES_PDF_ENGINE": engine}
    seen: dict[int, float] = {}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr)
        while proc.poll() is None:
            tree_cpu(proc.pid, seen)
            time.sleep(0.01)
        wall = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        said, err = stdout.read().decode(), stderr.read().decode()
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err[-2000:]}")
    pdf = Path(said.split()[-1])
    return wall, sum(seen.values()), f"{pages(pdf)} pages, {pdf.stat().st_size // 1024} KB"


# -- the command's parts, in a process of their own -------------------------------------------


def parts(store: str, size: str, engine: str, out: Path) -> dict[str, tuple[float, float]]:
    """Run `--parts-of` in a fresh interpreter: what each step of one brief costs."""
    argv = [sys.executable, __file__, "--parts-of", store, size, engine, str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"parts of {size} failed:\n{done.stderr[-2000:]}")
    return {k: tuple(v) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}  # type: ignore[misc]


def parts_of(store: str, size: str, engine: str, out: str) -> None:
    """The steps `render_brief` takes, each timed (wall, CPU of this process, its kernel and
    children); printed as one line of JSON."""
    os.environ["BWCASES_PDF_ENGINE"] = engine
    found: dict[str, tuple[float, float]] = {}
    kernel_pid: list[int | None] = [None]
    mark = [time.perf_counter(), own_cpu() + children_cpu()]

    def record(name: str) -> None:
        now = time.perf_counter(), own_cpu() + children_cpu() + process_cpu(kernel_pid[0])
        found[name] = (now[0] - mark[0], now[1] - mark[1])
        mark[:] = now

    import bwcases.cli  # noqa: F401  (what the command imports before it runs)
    from bwcases.reports.briefs import KINDS
    from bwcases.store import Store

    record("imports (cli, briefs, store)")
    from bwcases import __version__
    from bwcases.batch.executor import Task, WarmKernel
    from bwcases.core.paths import NOTEBOOKS

    partner, period = SIZES[size]
    notebook = str(NOTEBOOKS / KINDS["partner"].notebook)
    kernel = WarmKernel("python3", cwd=str(NOTEBOOKS))
    kernel_pid[0] = kernel.pid()
    record("kernel start")
    kernel.warm_up(notebook)
    record("kernel warm-up")
    db = Store(store)
    params = {"partner_id": partner, "period": period, "lang": "en"}
    meta = {"parameters": params, "snapshot": db.snapshot_id(), "code_version": __version__}
    task = Task(partner, notebook, {**params, "db": db.url}, "", None, meta, template="brief")
    record("store check")
    nb = kernel.execute(task)
    record("notebook")
    nb.metadata["bwcases"] = meta
    from bwcases.render.pdf import to_html, to_pdf

    html = to_html(nb, "brief")
    record("html")
    to_pdf(html, Path(out) / "parts.pdf")
    record(f"pdf ({engine})")
    kernel.shutdown()
    print(json.dumps(found))


# -- PDF engines on the same HTML --------------------------------------------------------------


def _css(html: str, old: str, new: str) -> str:
    if old not in html:
        raise SystemExit(f"the brief template no longer holds {old!r}: update bench_brief.py")
    return html.replace(old, new)


NOTO = '"Noto Sans", "DejaVu Sans", Arial, sans-serif'
CSS_VARIANTS: dict[str, tuple[str, str]] = {  # the template's CSS: a piece, and in its stead
    "css: every table fixed": (
        "table { border-collapse:",
        "table { table-layout: fixed; border-collapse:",
    ),
    "css: one font (DejaVu Sans)": (NOTO, '"DejaVu Sans"'),
    "css: no overflow-wrap in cells": ("th, td { overflow-wrap: break-word; }", ""),
}
BREAKS = re.compile(r"break-(inside|after|before): *\w+;")  # "css: no break-* rules"
WEASY_OPTIONS: dict[str, dict[str, Any]] = {
    "weasyprint (default, as shipped)": {},
    "weasyprint optimize_images": {"optimize_images": True},
    "weasyprint image cache": {"cache": {}},
    "weasyprint hinting": {"hinting": True},
    "weasyprint full_fonts (no subsetting)": {"full_fonts": True},
    "weasyprint uncompressed_pdf": {"uncompressed_pdf": True},
    "weasyprint presentational_hints on": {"presentational_hints": True},
}


def weasy(
    html: str, out: Path, options: dict[str, Any], fonts: Any = None
) -> tuple[float, float, str]:
    from weasyprint import HTML

    layout = {k: v for k, v in options.items() if k == "presentational_hints"}
    write = {k: v for k, v in options.items() if k != "presentational_hints"}
    cpu, start = own_cpu(), time.perf_counter()
    doc = HTML(string=html).render(font_config=fonts, **layout)
    laid = time.perf_counter() - start
    doc.write_pdf(out, **write)
    wall, cpu = time.perf_counter() - start, own_cpu() - cpu
    return (
        wall,
        cpu,
        f"{len(doc.pages)} pages, {out.stat().st_size // 1024} KB, layout {laid:.2f} s",
    )


def descendants_cpu() -> float:
    """CPU seconds so far of this process's descendants still running (Chromium under
    Playwright's driver)."""
    seen: dict[int, float] = {}
    tree_cpu(os.getpid(), seen)
    return sum(seconds for pid, seconds in seen.items() if pid != os.getpid())


def chromium(html: str, out: Path, running: bool) -> tuple[float, float, str]:
    """A print by the shipped printer: on a Chromium started before (as a brief's PDF is, and
    a batch's after its first), or one started and stopped for this print alone."""
    from bwcases.render import pdf, printer

    printer.close_printer()
    if running:
        pdf.start_printing()
        pdf.to_pdf("<p>started</p>", out)
        cpu, start = descendants_cpu(), time.perf_counter()
        pdf.to_pdf(html, out)
        wall, cpu = time.perf_counter() - start, descendants_cpu() - cpu
    else:
        cpu, start = children_cpu() + descendants_cpu(), time.perf_counter()
        pdf.to_pdf(html, out)
        printer.close_printer()
        wall, cpu = time.perf_counter() - start, children_cpu() + descendants_cpu() - cpu
    printer.close_printer()
    return wall, cpu, f"{pages(out)} pages, {out.stat().st_size // 1024} KB"


def pdf_cases(html: str, out: Path) -> dict[str, Callable[[], tuple[float, float, str]]]:
    from weasyprint.text.fonts import FontConfiguration

    shared_fonts = FontConfiguration()
    cases: dict[str, Callable[[], tuple[float, float, str]]] = {
        name: (lambda o=opts: weasy(html, out / "w.pdf", o)) for name, opts in WEASY_OPTIONS.items()
    }
    cases["weasyprint fonts configured once"] = lambda: weasy(html, out / "w.pdf", {}, shared_fonts)
    for name, (old, new) in CSS_VARIANTS.items():
        changed = _css(html, old, new)
        cases[f"weasyprint {name}"] = lambda h=changed: weasy(h, out / "w.pdf", {})
    unbroken = BREAKS.sub("", html)
    cases["weasyprint css: no break-* rules"] = lambda: weasy(unbroken, out / "w.pdf", {})
    cases["chromium, running (as shipped)"] = lambda: chromium(html, out / "c.pdf", True)
    cases["chromium, started for the print"] = lambda: chromium(html, out / "c.pdf", False)
    return cases


# -- running and printing -----------------------------------------------------------------------


def best(rows: dict[str, list[tuple[float, float, str]]]) -> None:
    first = None
    for name, runs in rows.items():
        wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        first = first or (wall, cpu)
        ratio = f"{wall / first[0]:5.2f}x wall {cpu / first[1]:5.2f}x CPU"
        print(f"  {name:44s} {wall:6.2f} s wall {cpu:6.2f} s CPU  {ratio}  {runs[-1][2]}")


def make_store(path: Path) -> str:
    from bwcases.io.demo import fill_demo
    from bwcases.store import Store

    url = f"sqlite:///{path.resolve()}"
    store = Store(url)
    store.upgrade()
    print(fill_demo(store, factories=200, seed=1), flush=True)
    store.dispose()
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--store", type=Path, help="a demo store of 200 factories (default: made)")
    ap.add_argument("--only", default="command,parts,pdf")
    ap.add_argument("--parts-of", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.parts_of:
        parts_of(*args.parts_of)
        return
    only = set(args.only.split(","))
    # bwcases compiled as an installed wheel is: where PYTHONDONTWRITEBYTECODE is set (this
    # machine), a checkout's modules would be compiled again by every process, on both sides
    compileall.compile_dir(Path(bwcases.__file__).parent, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="bench-brief-"))
    store = f"sqlite:///{args.store.resolve()}" if args.store else make_store(tmp / "demo.sqlite")
    htmls = {}
    if "pdf" in only:
        from bwcases.reports.briefs import render_brief
        from bwcases.store import Store

        db = Store(store)
        for size, (partner, period) in SIZES.items():
            made = render_brief(db, "partner", partner, period, tmp / size, formats=("html",))
            htmls[size] = made["html"].read_text(encoding="utf-8")
    cmd: dict[str, dict[str, list[Any]]] = {s: {} for s in SIZES}
    part: dict[str, dict[str, list[Any]]] = {s: {} for s in SIZES}
    pdf: dict[str, dict[str, list[Any]]] = {s: {} for s in SIZES}
    for n in range(args.rounds):
        print(f"round {n + 1} of {args.rounds}", file=sys.stderr, flush=True)
        for size in SIZES:
            if "command" in only:
                for engine in ENGINES:
                    row = command(store, size, engine, tmp / "cmd")
                    cmd[size].setdefault(f"bwcases brief ({engine})", []).append(row)
            if "parts" in only:
                for engine in ENGINES:
                    for name, (w, c) in parts(store, size, engine, tmp).items():
                        part[size].setdefault(name, []).append((w, c, ""))
            if "pdf" in only:
                for name, case in pdf_cases(htmls[size], tmp).items():
                    pdf[size].setdefault(name, []).append(case())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; best of {args.rounds}")
    for size, (partner, period) in SIZES.items():
        print(f"\n{partner} {period} ({size})")
        for title, rows in (("command", cmd), ("parts", part), ("pdf of the same HTML", pdf)):
            if rows[size]:
                print(f" {title}")
                best(rows[size])


if __name__ == "__main__":
    main()
