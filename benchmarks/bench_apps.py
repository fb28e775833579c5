"""Time from navigation to an interactive form in Chromium, for the advisor apps.

    .venv/bin/python -m benchmarks.bench_apps [--factories 2000] [--runs 5] [--keep DIR]

Serves a demo portfolio with `bwcases serve` twice (preheated kernels, and --cold), and plain
Voilà twice on a notebook holding one slider (its defaults, and --preheat_kernel), all in the
same run. For each it opens the page in Debian's chromium (already signed in where sign-in is
needed: signing in is not part of the figure) and times navigation -> the form is usable: for
the Improvement Plan the "Work on" chooser holds the factory's findings; for plain Voilà the
slider is drawn. Each server gets a browser profile of its own, as an advisor's browser is: the
first visit (nothing cached) is shown apart, then median, best and worst of the returning
visits (the page's scripts in the browser's cache), and the ratios to plain Voilà. With
preheated kernels it also times a first and returning visits over a slow link (Chromium's
"Fast 3G": 1.6 Mbit/s down, 750 kbit/s up, 562.5 ms round trips).
Targets (issue 3): <= 1 s with a preheated kernel, <= 3 s cold.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from bwcases.auth.accounts import add_user
from bwcases.io.demo import fill_demo
from bwcases.store import Store
from bwcases.web.serve import free_port, start_server, stop_server
from tests.browser import CHROMIUM, CHROMIUM_ARGS

PASSWORD = "benchmark-password"
REFILL = 10.0  # seconds for a used preheated kernel to be replaced (serve waits 3 s to start)
# Chromium DevTools' "Fast 3G" preset, a common stand-in for a mobile link
FAST_3G = {
    "offline": False,
    "latency": 562.5,  # ms added to every round trip
    "downloadThroughput": 1.6e6 / 8 * 0.9,  # bytes/s
    "uploadThroughput": 750e3 / 8 * 0.9,
}
SLOW_RUNS = 2  # returning visits over the slow link


def demo_store(folder: Path, factories: int) -> tuple[Store, str, str]:
    """A demo store, a signed-up advisor and one factory of hers."""
    store = Store(f"sqlite:///{folder / 'cases.sqlite'}")
    if store.factories_frame().empty:
        print(fill_demo(store, factories=factories, seed=1), flush=True)
    register = store.factories_frame()
    register = register[register["status"] == "active"]  # her portfolio: the active ones
    advisor = str(register["advisor"].value_counts().index[0])
    factory = str(register.loc[register["advisor"] == advisor, "factory_id"].iloc[0])
    add_user(store, advisor, role="advisor", password=PASSWORD, actor="bench", replace=True)
    return store, advisor, factory


def one_widget_notebook(folder: Path) -> Path:
    """The plainest Voilà page: one slider."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as widgets\nwidgets.IntSlider()")]
    path = folder / "one_widget.ipynb"
    nbformat.write(nb, path)
    return path


@contextmanager
def plain_voila(notebook: Path, preheat: bool, log: Path) -> Iterator[str]:
    """Plain Voilà (no sign-in) on one notebook; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--no-browser"]
    cmd += [
        "--Voila.ip=127.0.0.1",
        "--Voila.token=",
        *(["--preheat_kernel=True"] if preheat else []),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while not _answers(url) and time.monotonic() < deadline:
                time.sleep(0.2)
            yield url
        finally:
            stop_server(proc)  # type: ignore[arg-type]


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def ours(store: Store, preheat: bool, log: Path) -> Iterator[str]:
    """`bwcases serve` on the store; yields its base URL."""
    with log.open("wb") as out:
        proc, url = start_server(store.url, log=out, preheat=preheat)
        try:
            yield url.split("/voila/", 1)[0] + "/"
        finally:
            stop_server(proc)


def timed_loads(
    playwright: Any,
    url: str,
    ready: Callable[[Any], None],
    runs: int,
    *,
    sign_in: tuple[str, str] | None = None,
    pause: float,
    network: dict[str, Any] | None = None,
) -> list[float]:
    """Seconds from navigation to a usable form: a first visit, then `runs` returning visits."""
    with tempfile.TemporaryDirectory(prefix="bwcases-bench-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        if sign_in:  # by the sign-in form's request alone: no page loads (nothing is cached)
            base, name = sign_in
            form = context.request.get(f"{base}login").text()
            xsrf = form.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
            fields = {"_xsrf": xsrf, "username": name, "password": PASSWORD}
            signed = context.request.post(f"{base}login", form=fields, max_redirects=0)
            assert signed.status == 302, f"sign-in failed: {signed.status}"
        times = []
        for _ in range(runs + 1):
            time.sleep(pause)
            page = context.new_page()
            if network:
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", network)
            start = time.perf_counter()
            page.goto(url, wait_until="commit", timeout=120_000)
            ready(page)
            times.append(time.perf_counter() - start)
            page.close()
        context.close()
    return times


def plan_ready(page: Any) -> None:
    chooser = page.get_by_label("Work on", exact=True)
    chooser.locator("option").nth(1).wait_for(state="attached", timeout=120_000)  # findings in
    chooser.wait_for(state="visible")


def slider_ready(page: Any) -> None:
    page.locator(".widget-slider").first.wait_for(state="visible", timeout=120_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the store and logs in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bwcases-bench-apps-"))
    work.mkdir(parents=True, exist_ok=True)
    store, advisor, factory = demo_store(work, args.factories)
    notebook = one_widget_notebook(work)
    page = f"voila/render/improvement_plan.ipynb?factory={factory}"
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {}
    with sync_playwright() as p:
        for name, preheat in (("apps, preheated", True), ("apps, cold", False)):
            with ours(store, preheat, work / f"voila-{preheat}.log") as base:
                pause = REFILL if preheat else 1
                time.sleep(pause)  # let the pools fill
                url, signed = base + page, (base, advisor)
                results[name] = timed_loads(
                    p, url, plan_ready, args.runs, sign_in=signed, pause=pause
                )
                if preheat:
                    results[f"{name}, Fast 3G"] = timed_loads(
                        p, url, plan_ready, SLOW_RUNS, sign_in=signed, pause=pause, network=FAST_3G
                    )
        for name, preheat in (("plain Voilà, preheated", True), ("plain Voilà, cold", False)):
            with plain_voila(notebook, preheat, work / f"plain-{preheat}.log") as url:
                pause = REFILL if preheat else 1
                time.sleep(pause)
                results[name] = timed_loads(p, url, slider_ready, args.runs, pause=pause)
                if preheat:
                    results[f"{name}, Fast 3G"] = timed_loads(
                        p, url, slider_ready, SLOW_RUNS, pause=pause, network=FAST_3G
                    )
    register = store.factories_frame()
    mine = int((register["advisor"] == advisor).sum())
    print(
        f"\n{len(register)} factories; page: Improvement Plan of {factory} "
        f"({advisor}, {mine} factories in her portfolio); a first visit, then {args.runs} "
        f"returning visits each (own browser profile; over Fast 3G: {SLOW_RUNS})\n"
    )
    print(f"{'':32} {'first':>7}   {'returning: median':>17} {'best':>7} {'worst':>7}")
    for name, (first, *again) in results.items():
        print(
            f"{name:32} {first:6.2f}s   {statistics.median(again):16.2f}s "
            f"{min(again):6.2f}s {max(again):6.2f}s"
        )
    median = {name: statistics.median(times[1:]) for name, times in results.items()}
    warm, cold = median["apps, preheated"], median["apps, cold"]
    ratios = (
        f"preheated {warm / median['plain Voilà, preheated']:.2f}x, "
        f"cold {cold / median['plain Voilà, cold']:.2f}x"
    )
    slow = results["apps, preheated, Fast 3G"][0] / results["plain Voilà, preheated, Fast 3G"][0]
    print(
        f"\nratios to plain Voilà (returning visits): {ratios}; "
        f"first visit over Fast 3G, preheated: {slow:.2f}x"
        f"\ntargets: preheated <= 1 s ({'met' if warm <= 1 else 'missed'}), "
        f"cold <= 3 s ({'met' if cold <= 3 else 'missed'})"
    )
    store.dispose()


if __name__ == "__main__":
    main()
