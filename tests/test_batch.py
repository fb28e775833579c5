"""Batch runs for real: papermill on warm kernels, failures kept, resume, isolation, Dask."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bwcases.batch.planning import plan
from bwcases.batch.run import run
from bwcases.batch.spec import load_spec
from bwcases.core.errors import InputError, OutputError
from bwcases.core.paths import NOTEBOOKS, absolute_store
from bwcases.reports.factory import factory_report
from bwcases.store import Store
from tests.batches import alive, batch_file, kernels_of_run, notebook, process_tree
from tests.browser import needs_chromium
from tests.helpers import bw


def quick_report(tmp_path: Path) -> Path:
    """A notebook with the report's parameters that runs in an instant."""
    # for what a batch does around its notebook (skipping, redoing); the report runs elsewhere
    return notebook(tmp_path / "quick.ipynb", 'factory_id = ""\nas_of = ""', "print(factory_id)")


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {r["item"]: r for r in csv.DictReader(fh)}


def test_each_output_holds_its_factorys_figures(batch_store: Store, tmp_path: Path) -> None:
    spec = load_spec(batch_file(tmp_path))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 0 and len(outcome.results) == 3
    summary = rows(outcome.summary)
    for fid in ("VN001", "VN002", "KH001"):
        expected = factory_report(batch_store, fid, as_of="2026-06-30").figures
        nb = nbformat.read(spec.output / f"{fid}.ipynb", as_version=4)
        recorded = nb.metadata["bwcases"]
        assert recorded["parameters"]["factory_id"] == fid and recorded["status"] == "ok"
        assert summary[fid]["cps_non_compliant"] == str(expected["cps_non_compliant"])
        assert summary[fid]["quest_id"] == str(expected["quest_id"])
        html = (spec.output / f"{fid}.html").read_text(encoding="utf-8")
        assert expected["factory_name"] in html and "factory_report(" not in html  # no code
    assert summary["VN001"]["persistent_cps"] == "1"


def test_a_failing_factory_is_kept_marked_and_reported(batch_store: Store, tmp_path: Path) -> None:
    nb = notebook(
        tmp_path / "fragile.ipynb",
        'factory_id = ""',
        'if factory_id == "VN002":\n    raise ValueError("cannot report on " + factory_id)',
        "print('done', factory_id)",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 1
    assert [r.item for r in outcome.failed] == ["VN002"]
    assert "ValueError: cannot report on VN002" in outcome.failed[0].error
    kept = nbformat.read(spec.output / "VN002.ipynb", as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in kept.cells)
    manifest = rows(outcome.manifest)
    assert manifest["VN002"]["status"] == "failed" and "ValueError" in manifest["VN002"]["error"]
    assert manifest["KH001"]["status"] == "ok" and manifest["VN001"]["status"] == "ok"


def test_rerun_skips_current_items_and_redoes_changed_or_forced(
    batch_store: Store, tmp_path: Path
) -> None:
    nb = quick_report(tmp_path)
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), formats=["ipynb"]))
    first = run(spec, batch_store, workers=1)
    assert len(first.results) == 3
    again = run(spec, batch_store, workers=1)
    assert again.results == [] and sorted(again.skipped) == ["KH001", "VN001", "VN002"]
    batch_store.add_visit(
        {"factory_id": "KH001", "date": dt.date(2026, 5, 1), "kind": "advisory visit"}, actor="sok"
    )
    changed = run(spec, batch_store, workers=1)
    assert [r.item for r in changed.results] == ["KH001"]
    forced = run(spec, batch_store, workers=1, force=True)
    assert sorted(r.item for r in forced.results) == ["KH001", "VN001", "VN002"]
    only = run(spec, batch_store, workers=1, force=True, only=["VN001"])
    assert [r.item for r in only.results] == ["VN001"]
    manifest = rows(spec.output / "manifest.csv")
    assert set(manifest) == {"KH001", "VN001", "VN002"}
    assert json.loads(manifest["VN001"]["parameters"]) == {
        "as_of": "2026-06-30",
        "factory_id": "VN001",
    }
    assert manifest["VN001"]["code_version"] and manifest["VN001"]["snapshot"]


def test_no_half_written_output_is_taken_for_current(batch_store: Store, tmp_path: Path) -> None:
    nb = quick_report(tmp_path)
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), formats=["ipynb"]))
    spec.output.mkdir(parents=True)
    (spec.output / "VN001.ipynb").write_text('{"cells": [', encoding="utf-8")  # a torn write
    outcome = run(spec, batch_store, workers=1)
    assert "VN001" in [r.item for r in outcome.results]
    assert (
        nbformat.read(spec.output / "VN001.ipynb", as_version=4).metadata["bwcases"]["status"]
        == "ok"
    )


PROBE = """\
import os, sys, importlib
import pandas as pd
import bwcases
from bwcases.reports.factory import record
state = {
    "user_names": sorted(n for n in globals() if n.startswith("defined_")),
    "modules": sorted(n for n in sys.modules if n.startswith("bw_probe_")),
    "env": sorted(k for k in os.environ if k.startswith("BW_PROBE_")),
    "attrs": sorted(n for n in vars(bwcases) if n.startswith("probe_")),
    "max_rows": pd.get_option("display.max_rows"),
    "cwd": os.getcwd(),
    "path": [p for p in sys.path if "nowhere" in p],
}
record({"state": json_state if False else __import__("json").dumps(state, sort_keys=True), "pid": os.getpid()})
"""

POLLUTE = """\
globals()["defined_" + factory_id] = 1
sys.path.insert(0, probe_dir)
importlib.import_module("bw_probe_" + factory_id)
os.environ["BW_PROBE_" + factory_id] = "1"
setattr(bwcases, "probe_" + factory_id, True)
pd.set_option("display.max_rows", 7)
os.chdir(probe_dir)
sys.path.append("/nowhere/" + factory_id)
"""


def test_a_warm_kernel_shows_no_run_what_the_one_before_left(
    batch_store: Store, tmp_path: Path
) -> None:
    probe_dir = tmp_path / "probes"
    probe_dir.mkdir()
    for fid in ("VN001", "VN002", "KH001"):
        (probe_dir / f"bw_probe_{fid}.py").write_text("VALUE = 1\n", encoding="utf-8")
    nb = notebook(tmp_path / "probe.ipynb", 'factory_id = ""\nprobe_dir = ""', PROBE, POLLUTE)
    spec = load_spec(
        batch_file(tmp_path, notebook=str(nb), parameters={"probe_dir": str(probe_dir)})
    )
    outcome = run(spec, batch_store, workers=1)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    recorded = [r.figures for r in sorted(outcome.results, key=lambda r: r.item)]
    assert len({f["pid"] for f in recorded}) == 1  # one kernel served all three
    states = [json.loads(f["state"]) for f in recorded]
    assert states[0] == states[1] == states[2]
    assert states[0]["modules"] == [] and states[0]["env"] == [] and states[0]["attrs"] == []
    assert states[0]["user_names"] == [] and states[0]["path"] == []
    assert states[0]["max_rows"] == 60


LAZY = """\
import importlib, sys
from bwcases.reports.factory import record
before = {name: name in sys.modules for name in ("xml.dom.minidom", "bw_lazy_mine")}
# imported on the way, not by the notebook's import lines (which warm-up runs)
minidom = importlib.import_module("xml.dom.minidom")  # a library's, as pandas and Babel do
mine = importlib.import_module("bw_lazy_mine")  # one of her own, beside the notebook
count = mine.COUNT
mine.COUNT += 1
record({"before": before, "parsed": minidom.parseString("<a/>").documentElement.tagName,
        "mine": count})
"""


def test_a_library_module_a_run_imports_stays_loaded_and_her_own_does_not(
    batch_store: Store, tmp_path: Path
) -> None:
    # Re-imported by every run, pandas's and Babel's lazily imported modules took a fifth of a
    # report's time: the next runs find them loaded, as a fresh import leaves them; a module of
    # her own is imported afresh by each run, its state that of a first import
    (tmp_path / "bw_lazy_mine.py").write_text("COUNT = 0\n", encoding="utf-8")
    nb = notebook(tmp_path / "lazy.ipynb", 'factory_id = ""', LAZY)
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=1)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    figures = [r.figures for r in sorted(outcome.results, key=lambda r: r.item)]
    assert [f["before"]["bw_lazy_mine"] for f in figures] == [False, False, False]
    assert sorted(f["before"]["xml.dom.minidom"] for f in figures) == [False, True, True]
    assert {f["parsed"] for f in figures} == {"a"} and {f["mine"] for f in figures} == {0}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"parameters": {"as_of": "2026-06-30", "colour": "red"}}, "parameters.colour"),
        ({"select": {"ids": ["VN001", "XX999"]}}, "'XX999' is not a factory in the store"),
        ({"select": {"country": "Atlantis"}}, "has no factories"),
        ({"for_each": "brand"}, "is not factory, partner or country"),
        ({"formats": ["docx"]}, "must be a list of ipynb, html and pdf"),
        ({"notebook": "notebooks/nope.ipynb"}, "is not a notebook file"),
    ],
)
def test_bad_batch_files_are_refused_with_the_field_named(
    batch_store: Store, tmp_path: Path, fields: dict, message: str
) -> None:
    with pytest.raises(InputError) as err:
        spec = load_spec(batch_file(tmp_path, **fields))
        plan(spec, batch_store)
    assert message in str(err.value) and "batch.yaml" in str(err.value)


@pytest.mark.parametrize(
    "named", ["factory_progress_report.ipynb", "notebooks/factory_progress_report.ipynb"]
)
def test_a_shipped_notebook_is_found_by_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no notebooks/ folder here: an installed copy's user
    spec = load_spec(batch_file(tmp_path, notebook=named))
    assert spec.notebook == NOTEBOOKS / "factory_progress_report.ipynb"
    assert spec.notebook.is_file()


def test_a_notebook_of_her_own_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").mkdir()
    own = quick_report(tmp_path / "notebooks").rename(
        tmp_path / "notebooks" / "factory_progress_report.ipynb"
    )
    spec = load_spec(batch_file(tmp_path, notebook="notebooks/factory_progress_report.ipynb"))
    assert spec.notebook.resolve() == own.resolve()


@pytest.mark.parametrize(
    ("store_url", "db_parameter"),
    [
        ("sqlite:///cases.sqlite", None),  # the store opened by a relative URL
        (None, "sqlite:///cases.sqlite"),  # the batch file names it by a relative URL
        (None, "cases.sqlite"),  # or by a relative path
    ],
)
def test_a_relative_store_reaches_the_kernels_from_another_folder(
    batch_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store_url: str | None,
    db_parameter: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)  # where cases.sqlite is; the kernels start in pages/
    (tmp_path / "pages").mkdir()
    nb = notebook(
        tmp_path / "pages" / "lookup.ipynb",
        'db = ""\nfactory_id = ""',
        "from bwcases.store import Store\n"
        "assert factory_id in set(Store(db).factories_frame()['factory_id']), db",
    )
    parameters = {} if db_parameter is None else {"db": db_parameter}
    spec = load_spec(
        batch_file(tmp_path, notebook=str(nb), select={"ids": ["VN001"]}, parameters=parameters)
    )
    store = batch_store if store_url is None else Store(store_url)
    try:
        outcome = run(spec, store, workers=1)
    finally:
        if store is not batch_store:
            store.dispose()
    assert [(r.item, r.status, r.error) for r in outcome.results] == [("VN001", "ok", "")]
    assert not (tmp_path / "pages" / "cases.sqlite").exists()  # no empty store beside it


@pytest.mark.parametrize(
    ("given", "handed"),
    [
        ("sqlite:///cases.sqlite", "sqlite:///{here}/cases.sqlite"),
        (
            "sqlite+pysqlite:///db/cases.sqlite?timeout=5",
            "sqlite+pysqlite:///{here}/db/cases.sqlite?timeout=5",
        ),
        ("cases.sqlite", "{here}/cases.sqlite"),
        ("sqlite:////srv/cases.sqlite", "sqlite:////srv/cases.sqlite"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://bw@db/cases", "postgresql://bw@db/cases"),
        ("", ""),
    ],
)
def test_the_kernels_are_handed_a_store_they_find_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, handed: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_store(given) == handed.format(here=tmp_path.resolve())


def test_cli_run_exits_1_when_an_item_failed(batch_store: Store, tmp_path: Path) -> None:
    nb = notebook(
        tmp_path / "fragile.ipynb", 'factory_id = ""', 'assert factory_id != "KH001", "no"'
    )
    path = batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"])
    done = bw("--db", batch_store.url, "run", str(path), "--workers", "1")
    assert done.exit_code == 1, done.stderr
    assert "bwcases: failed KH001: In [3]: AssertionError: no" in done.stderr
    assert "2 ok, 1 failed" in done.stderr


@pytest.mark.slow
def test_dask_cluster_gives_the_same_outputs_as_a_local_run(
    batch_store: Store, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    local = (
        run(
            load_spec(batch_file(tmp_path / "a", output=str(tmp_path / "local"))),
            batch_store,
            workers=2,
        )
        if (tmp_path / "a").mkdir() is None
        else None
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        (tmp_path / "b").mkdir()
        spec = load_spec(batch_file(tmp_path / "b", output=str(tmp_path / "dask")))
        remote = run(spec, batch_store, scheduler=cluster.scheduler_address)
    assert local is not None and remote.exit_status == 0 and len(remote.results) == 3
    local_summary = rows(tmp_path / "local" / "summary.csv")
    assert rows(tmp_path / "dask" / "summary.csv") == local_summary
    for fid in local_summary:
        a = nbformat.read(tmp_path / "local" / f"{fid}.ipynb", as_version=4)
        b = nbformat.read(tmp_path / "dask" / f"{fid}.ipynb", as_version=4)
        assert [c.get("outputs") for c in a.cells] == [c.get("outputs") for c in b.cells]


def bwcases_run(store: Store, path: Path, workers: int, **streams: int) -> subprocess.Popen[str]:
    """`bwcases run` of a batch file as a process of its own (its output dropped unless asked)."""
    argv = [sys.executable, "-m", "bwcases", "--db", store.url, "run", str(path)]
    return subprocess.Popen(
        [*argv, "--workers", str(workers)],
        stdout=streams.get("stdout", subprocess.DEVNULL),
        stderr=streams.get("stderr", subprocess.DEVNULL),
        text=True,
    )


def test_ctrl_c_keeps_finished_outputs_whole_and_the_rerun_resumes(
    batch_store: Store, tmp_path: Path
) -> None:
    import signal
    import time

    nb = notebook(tmp_path / "slow.ipynb", 'factory_id = ""', "import time\ntime.sleep(1.5)")
    path = batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"])
    proc = bwcases_run(batch_store, path, 1, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = tmp_path / "out"
    deadline = time.monotonic() + 120
    while not list(out.glob("*.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    finished = sorted(p.stem for p in out.glob("*.ipynb"))
    assert 1 <= len(finished) < 3
    for name in finished:  # every file there is complete and marked done
        assert (
            nbformat.read(out / f"{name}.ipynb", as_version=4).metadata["bwcases"]["status"] == "ok"
        )
    assert not (out / ".tmp").exists() or not any((out / ".tmp").iterdir())
    rerun = run(load_spec(path), batch_store, workers=1)
    assert sorted(rerun.skipped) == finished
    assert sorted(r.item for r in rerun.results) == sorted(
        {"KH001", "VN001", "VN002"} - set(finished)
    )


def _kernels_once_their_threads_end() -> list[int]:
    """This process's live kernels, once the threads that drive kernels have ended (or 60 s)."""
    # Looked at only then: right after the command a kernel may not have been started yet, and
    # a kernel left running would not be there to see
    import threading
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        t.name.startswith("bwcases-kernel-") for t in threading.enumerate()
    ):
        time.sleep(0.2)
    return list(kernels_of_run(os.getpid()))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_run_takes_its_workers_and_kernels_with_it(
    batch_store: Store, tmp_path: Path
) -> None:
    import signal
    import time

    nb = notebook(tmp_path / "slow.ipynb", 'factory_id = ""', "import time\ntime.sleep(60)")
    path = batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"])
    proc = bwcases_run(batch_store, path, 2)
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        kernels: list[int] = []
        while len(kernels) < 2 and time.monotonic() < deadline:  # two kernels running items
            time.sleep(0.5)
            kernels = list(kernels_of_run(proc.pid, zygote=False))
        assert len(kernels) == 2, "the run never started its kernels"
        time.sleep(2)  # mid-item
        started = {**process_tree(proc.pid), **kernels_of_run(proc.pid)}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:80] for p in alive(started)}
        assert left == {}, "left running after the run was killed"
    finally:
        proc.kill()
        for pid in alive(started):  # leave nothing behind even when the test fails
            os.kill(pid, signal.SIGKILL)


def test_an_output_that_cannot_be_written_fails_its_item_and_the_batch_goes_on(
    batch_store: Store, tmp_path: Path
) -> None:
    # A full disk and a folder where the file should go both refuse the write: one line each
    nb = notebook(tmp_path / "quick.ipynb", 'factory_id = ""', "print(factory_id)")
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}))
    (spec.output / "VN002.ipynb").mkdir(parents=True)
    outcome = run(spec, batch_store, workers=1)
    assert outcome.exit_status == 1 and [r.item for r in outcome.failed] == ["VN002"]
    error = outcome.failed[0].error
    assert "cannot write" in error and "VN002.ipynb" in error and "\n" not in error
    assert (spec.output / "VN001.html").is_file() and (spec.output / "KH001.html").is_file()
    assert rows(outcome.manifest)["VN002"]["status"] == "failed"


def test_a_manifest_that_cannot_be_written_is_one_line_saying_what_to_do(
    batch_store: Store, tmp_path: Path
) -> None:
    nb = notebook(tmp_path / "quick.ipynb", 'factory_id = ""', "print(factory_id)")
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}))
    (spec.output / "summary.csv").mkdir(parents=True)
    with pytest.raises(OutputError) as err:
        run(spec, batch_store, workers=1)
    assert "summary.csv" in str(err.value) and "\n" not in str(err.value)
    assert "run the same command again" in str(err.value)
    assert rows(spec.output / "manifest.csv")["VN001"]["status"] == "ok"


def test_what_a_run_left_in_cycles_is_collected_before_the_next(
    batch_store: Store, tmp_path: Path
) -> None:
    # The kernel keeps what warm-up made out of later collections; a run's garbage still goes
    marks = tmp_path / "collected"
    marks.mkdir()
    nb = notebook(
        tmp_path / "cycles.ipynb",
        'factory_id = ""\nmarks = ""',
        "import os\nfrom bwcases.reports.factory import record\n"
        "record({'seen': sorted(os.listdir(marks))})",
        "class Cycle:\n"
        "    def __del__(self):\n"
        "        open(self.mark, 'w').close()\n"
        "held = Cycle()\nheld.mark = os.path.join(marks, factory_id)\nheld.me = held",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={"marks": str(marks)}))
    outcome = run(spec, batch_store, workers=1)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    for n, result in enumerate(outcome.results):  # one kernel: in the order they ran
        assert result.figures["seen"] == sorted(r.item for r in outcome.results[:n])


def test_the_kernels_are_driven_from_the_run_itself_not_worker_processes(
    batch_store: Store, tmp_path: Path
) -> None:
    # A worker process would import (and hold) the whole stack again: threads drive the kernels
    nb = notebook(
        tmp_path / "parent.ipynb",
        'factory_id = ""',
        "import os\nfrom bwcases.reports.factory import record\n"
        "record({'parent': os.getppid(), 'me': open('/proc/self/cmdline').read()})",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    # launched by the run, or forked by its zygote (which only forks: the run drives them); a
    # forked kernel has the zygote's command line, which names the run, and outlives the zygote
    zygote = f"bwcases.batch.zygote\0{{}}\0{os.getpid()}\0"
    for result in outcome.results:
        me = result.figures["me"]
        assert result.figures["parent"] == os.getpid() or re.search(
            re.escape(zygote).replace(re.escape("{}"), r"\d+"), me
        ), me


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_kernels_started_ahead_for_a_run_with_nothing_to_do_are_stopped(
    batch_store: Store, tmp_path: Path
) -> None:

    nb = quick_report(tmp_path)
    path = batch_file(tmp_path, notebook=str(nb), formats=["ipynb"])
    assert run(load_spec(path), batch_store, workers=1).exit_status == 0
    done = bw("--db", batch_store.url, "run", str(path), "--workers", "2")
    assert done.exit_code == 0 and "3 current" in done.stderr, done.stderr
    assert _kernels_once_their_threads_end() == [], "kernels left running after the run"


def test_an_item_whose_outputs_cannot_be_read_fails_alone_and_the_batch_goes_on(
    batch_store: Store, tmp_path: Path
) -> None:
    # Anything unforeseen in handling one item's outputs is that item's failure: its kernel's
    # thread goes on with the next item (with one worker, a dead thread ran no more items)
    nb = notebook(
        tmp_path / "odd.ipynb",
        'factory_id = ""',
        "from IPython.display import display\n"
        'if factory_id == "VN002":\n'
        "    display({'application/vnd.bwcases.figures+json': 'not figures',"
        " 'text/plain': ''}, raw=True)",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=1)
    assert [r.item for r in outcome.failed] == ["VN002"]
    assert outcome.failed[0].error and "\n" not in outcome.failed[0].error
    manifest = rows(outcome.manifest)
    assert manifest["VN001"]["status"] == "ok" and manifest["KH001"]["status"] == "ok"
    assert manifest["VN002"]["status"] == "failed"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_kernels_started_ahead_of_a_refused_batch_file_are_stopped(
    batch_store: Store, tmp_path: Path
) -> None:

    nb = quick_report(tmp_path)
    path = batch_file(tmp_path, notebook=str(nb), select={"ids": ["VN001", "XX999"]})
    done = bw("--db", batch_store.url, "run", str(path), "--workers", "1")
    assert done.exit_code != 0 and "XX999" in done.stderr, done.stderr
    assert _kernels_once_their_threads_end() == [], "kernels left running after the refusal"


def test_a_cell_that_times_out_is_kept_and_its_kernel_replaced(
    batch_store: Store, tmp_path: Path
) -> None:
    # A kernel still busy with the cell cannot be reset: it is replaced, not waited for
    nb = notebook(
        tmp_path / "stuck.ipynb",
        'factory_id = ""',
        'import os, time\nif factory_id == "VN002":\n    time.sleep(600)',
        "from bwcases.reports.factory import record\nrecord({'pid': os.getpid()})",
    )
    spec = load_spec(
        batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"], timeout=3)
    )
    outcome = run(spec, batch_store, workers=1)
    assert [r.item for r in outcome.failed] == ["VN002"]
    assert "timed out" in outcome.failed[0].error
    kept = nbformat.read(spec.output / "VN002.ipynb", as_version=4)
    assert kept.metadata["bwcases"]["status"] == "failed"
    assert rows(outcome.manifest)["VN002"]["status"] == "failed"
    ran = {r.item: r.figures.get("pid") for r in outcome.results if r.status == "ok"}
    assert sorted(ran) == ["KH001", "VN001"] and all(ran.values())


def test_a_kernel_that_dies_at_start_fails_its_items_and_leaves_nothing_behind(
    batch_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each try at a kernel that never answers is stopped and its connection file removed
    seen = tmp_path / "connection_files"
    dies = tmp_path / "jupyter" / "kernels" / "python3"
    dies.mkdir(parents=True)
    record = f"open({str(seen)!r}, 'a').write(__import__('sys').argv[1] + '\\n')"
    argv = [sys.executable, "-c", record, "{connection_file}"]
    (dies / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = notebook(tmp_path / "quick.ipynb", 'factory_id = ""', "print(factory_id)")
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=1)
    assert sorted(r.item for r in outcome.failed) == ["KH001", "VN001", "VN002"]
    assert all("died" in r.error for r in outcome.failed), [r.error for r in outcome.failed]
    tried = seen.read_text().split()
    assert len(tried) >= 3 and not [f for f in tried if Path(f).exists()]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_kernels_started_ahead_of_an_output_folder_that_cannot_be_made_are_stopped(
    batch_store: Store, tmp_path: Path
) -> None:
    nb = quick_report(tmp_path)
    path = batch_file(tmp_path, notebook=str(nb), formats=["ipynb"])
    (tmp_path / "out").write_text("a file where the folder should be", encoding="utf-8")
    done = bw("--db", batch_store.url, "run", str(path), "--workers", "1")
    assert done.exit_code != 0 and "out" in done.stderr, done.stderr
    assert _kernels_once_their_threads_end() == [], "kernels left running after the refusal"


@needs_chromium
def test_a_pdf_that_cannot_be_printed_fails_its_item_alone_and_the_rerun_retries_it(
    batch_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chromium fails to print VN002's page (while a file says so) and prints the others: a
    # failure of Chromium's own is not one a real page can be made to cause on purpose
    from bwcases.render import printer

    failing = tmp_path / "fail-VN002"
    print_once = printer.Printer._print_once

    def fails_on_vn002(self: printer.Printer, html: str) -> bytes:
        if failing.exists() and "VN002" in html:
            raise RuntimeError("Page.pdf: Printing failed\nCall log: ...")
        return print_once(self, html)

    monkeypatch.setattr(printer.Printer, "_print_once", fails_on_vn002)
    monkeypatch.setenv("BWCASES_PDF_ENGINE", "chromium")
    nb = quick_report(tmp_path)
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), formats=["ipynb", "html", "pdf"]))
    assert run(spec, batch_store, workers=2).exit_status == 0  # a PDF of every item, then ...
    failing.touch()
    outcome = run(spec, batch_store, workers=2, force=True)  # ... VN002's cannot be printed again
    assert [r.item for r in outcome.failed] == ["VN002"]
    error = outcome.failed[0].error
    assert "VN002.pdf" in error and "Printing failed" in error and "\n" not in error
    assert not (spec.output / "VN002.pdf").exists()  # the one before is not taken for this run's
    assert (spec.output / "VN002.html").is_file() and (spec.output / "VN002.ipynb").is_file()
    manifest = rows(outcome.manifest)
    assert manifest["VN002"]["status"] == "failed" and "VN002.pdf" in manifest["VN002"]["error"]
    assert manifest["VN001"]["status"] == manifest["KH001"]["status"] == "ok"
    failing.unlink()
    again = run(spec, batch_store, workers=2)
    assert [(r.item, r.status) for r in again.results] == [("VN002", "ok")]
    assert (spec.output / "VN002.pdf").read_bytes().startswith(b"%PDF")


def test_pdfs_asked_of_a_chromium_that_is_missing_are_refused_before_anything_runs(
    batch_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BWCASES_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("BWCASES_PDF_ENGINE", "chromium")
    nb = quick_report(tmp_path)
    path = batch_file(tmp_path, notebook=str(nb), formats=["ipynb", "pdf"])
    done = bw("--db", batch_store.url, "run", str(path), "--workers", "1")
    assert done.exit_code == 2, done.stderr
    assert "formats" in done.stderr and "apt-get install chromium" in done.stderr
    assert done.stderr.count("no-chromium") == 1  # one refusal, not one failure per factory
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("select", "items"),
    [({"all": True}, ["KH001", "VN001", "VN002"]), ({"country": "Vietnam"}, ["VN001", "VN002"])],
    ids=["all", "country"],
)
def test_a_run_imports_no_pandas_or_arrow_to_plan_and_run_its_factories(
    batch_store: Store, tmp_path: Path, select: dict[str, object], items: list[str]
) -> None:
    # pandas and Arrow (papermill's HDFS handler's) were most of what the command would load,
    # and hold while its kernels run the notebooks; Arrow is still there for whoever needs it
    nb = quick_report(tmp_path)
    path = batch_file(tmp_path, notebook=str(nb), formats=["ipynb"], select=select)
    script = (
        "import sys\n"
        "from bwcases.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    loaded = {m.split('.')[0] for m in sys.modules} & {'pandas', 'numpy', 'pyarrow'}\n"
        "    import pyarrow.fs\n"
        "    print('loaded:', sorted(loaded), file=sys.stderr)\n"
    )
    args = ["--db", batch_store.url, "run", str(path), "--workers", "1"]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.rstrip().endswith("loaded: []"), done.stderr[-2000:]
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.ipynb")) == items
