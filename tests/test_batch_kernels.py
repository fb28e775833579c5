"""A batch's kernel: the one its notebook asks for, and a Ctrl-C before any item ran."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from bwcases.batch.run import run
from bwcases.batch.spec import load_spec
from bwcases.core.errors import InputError
from bwcases.store import Store
from tests.batches import alive, batch_file, kernels_of_run, notebook


def _install_kernel(share: Path, name: str) -> None:
    """A kernel named `name` (Python underneath) that says its name to the notebooks it runs."""
    spec = share / "kernels" / name
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": name, "language": "python", "env": {"BW_KERNEL": name}}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")


def _asking_for(path: Path, kernel: str) -> Path:
    """A notebook that records the kernel it ran in, and asks for `kernel`."""
    nb = notebook(
        path,
        'factory_id = ""',
        "import os\nfrom bwcases.reports.factory import record\n"
        "record({'kernel': os.environ.get('BW_KERNEL', 'python3')})",
    )
    saved = nbformat.read(path, as_version=4)
    saved.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    nbformat.write(saved, path)
    return nb


def test_a_batch_runs_the_kernel_its_notebook_asks_for(
    batch_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _install_kernel(tmp_path / "jupyter", "bw-other")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = _asking_for(tmp_path / "other.ipynb", "bw-other")
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=1)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    assert {r.figures["kernel"] for r in outcome.results} == {"bw-other"}


def test_a_kernel_that_is_not_installed_is_named_with_its_notebook(
    batch_store: Store,
    tmp_path: Path,
) -> None:
    nb = _asking_for(tmp_path / "julia.ipynb", "julia-1.9")
    path = batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"])
    with pytest.raises(InputError) as refused:
        load_spec(path)
    message = str(refused.value)
    assert "julia.ipynb" in message and "'julia-1.9'" in message and "not installed" in message
    assert "python3" in message  # what she could ask for instead
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_ctrl_c_while_planning_says_so_exits_130_and_leaves_nothing(
    batch_store: Store,
    tmp_path: Path,
) -> None:
    # The batch file is a pipe: read once (the kernels start), the second read - the planning's -
    # waits for a writer that never comes, so the interrupt lands while the batch is planned
    written = batch_file(tmp_path, parameters={}, formats=["ipynb"])
    text = written.read_text(encoding="utf-8")
    written.unlink()
    os.mkfifo(written)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bwcases", "--db", batch_store.url, "run", str(written)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    started: dict[int, str] = {}
    try:
        feeder = threading.Thread(target=written.write_text, args=(text,), daemon=True)
        feeder.start()
        feeder.join(timeout=120)
        deadline = time.monotonic() + 120
        while not started and time.monotonic() < deadline:  # its kernel is starting
            time.sleep(0.2)
            started = kernels_of_run(proc.pid)
        assert started, "the run never started a kernel"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "interrupted" in err and "nothing was written" in err, err
        assert "Traceback" not in err and "Aborted" not in err, err
        assert not (tmp_path / "out").exists()
        deadline = time.monotonic() + 30
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert alive(started) == [], "kernels left running after the interrupt"
    finally:
        proc.kill()
        for pid in alive(started):
            os.kill(pid, signal.SIGKILL)


def test_kernels_forked_warm_show_figures_and_run_subprocesses_as_launched_ones(
    batch_store: Store,
    tmp_path: Path,
) -> None:
    # The zygote imports the notebook's modules before any kernel exists: pyplot must still
    # draw into the notebook (the inline backend), and a kernel's own subprocesses be waited for
    nb = notebook(
        tmp_path / "plots.ipynb",
        'factory_id = ""',
        "import subprocess\nimport matplotlib.pyplot as plt\n"
        "from bwcases.reports.factory import record",
        "plt.plot([1, 2, 3])\nplt.show()",
        "record({'child': subprocess.run(['sh', '-c', 'exit 3']).returncode})",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    for result in outcome.results:
        assert result.figures["child"] == 3
        done = nbformat.read(spec.output / f"{result.item}.ipynb", as_version=4)
        (plot,) = [c for c in done.cells if c.source.startswith("plt.plot")]
        assert [o for o in plot.outputs if "image/png" in o.get("data", {})], plot.outputs


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_batchs_kernels_are_forked_and_none_outlives_it(
    batch_store: Store,
    tmp_path: Path,
) -> None:
    nb = notebook(
        tmp_path / "who.ipynb",
        'factory_id = ""',
        "import os\nfrom bwcases.reports.factory import record",
        "record({'pid': os.getpid(), 'argv': open('/proc/self/cmdline').read()})",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    assert all("bwcases.batch.zygote" in r.figures["argv"] for r in outcome.results)
    assert os.getpid() not in {r.figures["pid"] for r in outcome.results}
    deadline = time.monotonic() + 30
    while kernels_of_run(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_of_run(os.getpid()) == {}, "kernels left running after the batch"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_forked_kernel_is_finished_though_no_one_has_reaped_it() -> None:
    # Once the zygote has ended, whoever inherits its kernels reaps them when it pleases: the
    # run's shutdown waited a second and more for each, after the batch's last item
    from bwcases.batch.zygote import ForkedProcess

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until it is a zombie
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat[stat.rindex(")") + 2] == "Z":
                break
            time.sleep(0.05)
        assert ForkedProcess(pid).poll() is not None
        assert ForkedProcess(os.getpid()).poll() is None  # a live one is not
    finally:
        os.waitpid(pid, 0)


def test_stopping_the_zygote_does_not_wait_for_a_kernel_it_is_still_warming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C or a failure while the first kernel is asked for: the zygote is still importing
    # the notebook's modules (here, forever), and the run must stop at once all the same
    from bwcases.batch.zygote import Zygote

    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(120)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    zygote = Zygote("import slow_to_import", cwd=str(tmp_path))
    asked: list[BaseException | None] = []

    def ask() -> None:
        try:
            zygote.fork(str(tmp_path / "kernel.json"), str(tmp_path), [])
        except BaseException as exc:
            asked.append(exc)
        else:
            asked.append(None)

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    time.sleep(0.5)  # the fork is waiting for its answer
    closing = threading.Thread(target=zygote.close, daemon=True)
    closing.start()
    closing.join(60)  # the import alone would hold it for 120 s
    assert not closing.is_alive(), "close() waited for the zygote's imports"
    asking.join(60)
    assert len(asked) == 1 and isinstance(asked[0], OSError)
    assert zygote.process.poll() is not None


def test_a_finished_kernel_s_pid_given_to_another_process_is_not_signalled() -> None:
    # a kernel that ended long ago: the system may give its pid to a new process, which leads
    # its own group as every kernel does; stopping the old kernel must not stop the new one
    from bwcases.batch.zygote import ForkedProcess

    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        ended = ForkedProcess(other.pid)
        assert ended.poll() is None
        ended.started = "1"  # as it was for the kernel this pid belonged to, started at boot
        ended.kill()
        assert ended.poll() is not None
        time.sleep(0.2)
        assert other.poll() is None  # the process now holding the pid runs on
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize(
    ("imports", "debugger"),
    [
        # Nobody debugs a batch kernel: debugpy, which each kernel imported as it started, is
        # not loaded; what the notebook itself imports still is, and runs
        ("import pdb", False),
        ("import pdb\nimport debugpy", True),  # unless the notebook asks for it
        ("import pdb\ndef debugs():\n    import debugpy\n\ndebugs()", True),  # anywhere
    ],
)
def test_a_batch_kernel_has_a_debugger_only_if_its_notebook_imports_one(
    batch_store: Store, tmp_path: Path, imports: str, debugger: bool
) -> None:
    nb = notebook(
        tmp_path / "modules.ipynb",
        'factory_id = ""',
        f"import sys\n{imports}\nfrom bwcases.reports.factory import record\n"
        "record({'debugpy': sys.modules.get('debugpy') is not None, 'pdb': callable(pdb.set_trace)})",
    )
    spec = load_spec(batch_file(tmp_path, notebook=str(nb), parameters={}, formats=["ipynb"]))
    outcome = run(spec, batch_store, workers=2)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    assert {(r.figures["debugpy"], r.figures["pdb"]) for r in outcome.results} == {(debugger, True)}
