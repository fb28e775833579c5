"""Start-up of the bwcases command: `--version` and `--help` beside Python doing nothing.

    .venv/bin/python benchmarks/bench_start.py [--runs 15]

Runs each command and the baseline `python -c pass` in turn (interleaved, so that all meet the
same machine), keeps the best of --runs, and prints seconds, the ratio to the baseline and what
the command adds to it; then the heavy libraries each one imported (it should be none).
Target (issue 16): `bwcases --help` and `--version` <= 0.15 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -m bwcases --version": [PYTHON, "-m", "bwcases", "--version"],
    "python -m bwcases --help": [PYTHON, "-m", "bwcases", "--help"],
    "bwcases --version": [str(Path(PYTHON).with_name("bwcases")), "--version"],
    "bwcases --help": [str(Path(PYTHON).with_name("bwcases")), "--help"],
}
HEAVY = ("pandas", "numpy", "sqlalchemy", "nbformat", "jsonschema", "jupyter_client")


def best_of(runs: int) -> dict[str, float]:
    """The best wall time of each command over `runs` interleaved rounds."""
    best = dict.fromkeys(COMMANDS, float("inf"))
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def heavy_imports(*args: str) -> list[str]:
    """The heavy libraries `python -m bwcases ARGS` imports, as `-X importtime` lists them."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "bwcases", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines}
    return sorted(names & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    best = best_of(args.runs)
    baseline = best["python -c pass"]
    for name, seconds in best.items():
        print(
            f"{name:28s} {seconds:5.3f} s  ratio {seconds / baseline:4.1f}x  "
            f"(+{seconds - baseline:5.3f} s over python -c pass)"
        )
    print("target: bwcases --help and --version <= 0.15 s")
    for flag in ("--version", "--help"):
        print(f"heavy imports of {flag}: {', '.join(heavy_imports(flag)) or 'none'}")


if __name__ == "__main__":
    main()
