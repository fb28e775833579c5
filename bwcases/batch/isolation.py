"""Inside a warm kernel that runs one notebook after another: put back the state of before.

A batch keeps kernels warm so that imports are paid once, and the next factory's run must not
see anything the previous run defined, imported or changed. `take()` records the kernel's state
after warm-up; `restore()` returns to it: the user namespace, modules imported since, names
(re)bound in modules, environment variables, working directory, sys.path, warning filters,
pandas options, matplotlib settings and figures, and the global random generators.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import operator
import os
import random
import sys
import sysconfig
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

# Modules the kernel itself runs on: their state changes as it serves requests, by design.
_KERNEL_MACHINERY = (
    "IPython",
    "ipykernel",
    "jupyter_client",
    "jupyter_core",
    "zmq",
    "tornado",
    "asyncio",
    "traitlets",
    "comm",
    "debugpy",
    "logging",
    "threading",
    "concurrent",
    "selectors",
    "socket",
    "ssl",
    "linecache",
    "tokenize",
    "codeop",
    "inspect",
    "typing",
    "abc",
    "weakref",
    "gc",
    "sys",
    "builtins",
    "__main__",
    "encodings",
    "importlib",
    "_",
)
_MISSING = object()
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bwcases
_LIBRARY_PATHS = tuple(  # folders of installed code, each ending in a separator
    os.path.join(path, "")
    for path in {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {_PACKAGE}
)
_SHIPPED_NOTEBOOKS = os.path.join(_PACKAGE, "notebooks", "")


def _watched(name: str) -> bool:
    return not name.startswith(_KERNEL_MACHINERY) and name != __name__


@dataclass
class Snapshot:
    """The state of a warm kernel, taken once after warm-up."""

    modules: set[str]
    globals_of: dict[str, dict[str, Any]]
    environ: dict[str, str]
    cwd: str
    path: list[str]
    filters: list[Any]
    random_state: Any
    extra: dict[str, Any] = field(default_factory=dict)


_snapshot: Snapshot | None = None


def take() -> Snapshot:
    """Record the kernel's state as the one to return to after every run."""
    global _snapshot
    globals_of = {
        name: dict(vars(mod))
        for name, mod in list(sys.modules.items())
        if isinstance(mod, ModuleType) and _watched(name)
    }
    _snapshot = Snapshot(
        modules=set(sys.modules),
        globals_of=globals_of,
        environ=dict(os.environ),
        cwd=os.getcwd(),
        path=list(sys.path),
        filters=list(warnings.filters),
        random_state=random.getstate(),
    )
    # What warm-up made lives as long as the kernel: kept out of the collections that follow,
    # a full collection after each run looks only at what the run made (0.2 s -> a few ms).
    gc.collect()
    gc.freeze()
    if "numpy" in sys.modules:
        _snapshot.extra["numpy_random"] = sys.modules["numpy"].random.get_state()
    if "pandas" in sys.modules:
        _snapshot.extra["pandas_options"] = _pandas_options()
    if "matplotlib" in sys.modules:
        _snapshot.extra["rc"] = dict(sys.modules["matplotlib"].rcParams)
    return _snapshot


def _pandas_options() -> dict[str, Any]:
    import pandas as pd

    keys = pd._config.config._registered_options  # no public way to list every option
    return {key: pd.get_option(key) for key in keys}


def restore() -> list[str]:
    """Return the kernel to the recorded state; the names of modules that were dropped."""
    if _snapshot is None:
        raise RuntimeError("take() must run once before restore()")
    snap = _snapshot
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=False, aggressive=False)
    dropped = [name for name in list(sys.modules) if name not in snap.modules]
    lazy = [name for name in dropped if _library(sys.modules[name])]
    for name in dropped:
        del sys.modules[name]
    for name, saved in snap.globals_of.items():
        mod = sys.modules.get(name)
        if mod is None:
            continue
        now = vars(mod)
        if _unchanged(now, saved):
            continue
        for key in [k for k in now if k not in saved]:
            del now[key]
        for key, value in saved.items():
            if now.get(key, _MISSING) is not value:
                now[key] = value
    if os.environ != snap.environ:
        os.environ.clear()
        os.environ.update(snap.environ)
    os.chdir(snap.cwd)
    sys.path[:] = snap.path
    warnings.filters[:] = snap.filters  # type: ignore[index]
    random.setstate(snap.random_state)
    if "numpy_random" in snap.extra:
        sys.modules["numpy"].random.set_state(snap.extra["numpy_random"])
    if "pandas_options" in snap.extra:
        import pandas as pd

        for key, value in snap.extra["pandas_options"].items():
            if pd.get_option(key) != value:
                pd.set_option(key, value)
    if "matplotlib" in sys.modules:
        mpl = sys.modules["matplotlib"]
        import matplotlib.pyplot as plt

        plt.close("all")
        if "rc" in snap.extra:
            mpl.rcParams.update(snap.extra["rc"])
    if lazy:
        _import_fresh(lazy, snap)
    # What the run left in reference cycles goes now, not a run later: its open files and
    # connections are closed before the next run starts (cheap, warm-up's objects are frozen).
    gc.collect()
    return dropped


def _library(module: object) -> bool:
    """Whether a module is installed library code: Python's own, an installed package's, or
    bwcases's; never a module of the notebook's folder or of a path a run added."""
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    return (
        isinstance(origin, str)
        and origin.startswith(_LIBRARY_PATHS)
        and not origin.startswith(_SHIPPED_NOTEBOOKS)  # a module she put beside them
    )


def _import_fresh(names: list[str], snap: Snapshot) -> None:
    """Import again, into the restored state, the library modules a run imported on its way
    (pandas's and Babel's lazy imports: a fifth of a factory report's run, each run), and take
    them into the state every run starts from.

    A module imported into the restored state is what the next run would import itself; it is
    then there already, as the notebook's own imports are after warm-up. Modules of the
    notebook's folder, or of paths a run added, are never kept.
    """
    for name in names:
        with contextlib.suppress(Exception):  # a module that fails on its own: the run says so
            importlib.import_module(name)
    for name in [name for name in sys.modules if name not in snap.modules]:
        snap.modules.add(name)
        mod = sys.modules[name]
        if isinstance(mod, ModuleType) and _watched(name):
            snap.globals_of[name] = dict(vars(mod))
    for name, saved in snap.globals_of.items():  # the parent packages now name them
        parent = sys.modules.get(name)
        if parent is not None:
            for key, value in vars(parent).items():
                saved.setdefault(key, value)


def _unchanged(now: dict[str, Any], saved: dict[str, Any]) -> bool:
    """Whether a module's namespace holds the very same names and objects as recorded."""
    # Most of a kernel's thousand modules are untouched: compared in C, key by key, in order.
    return (
        len(now) == len(saved)
        and all(map(operator.is_, now, saved))
        and all(map(operator.is_, now.values(), saved.values()))
    )


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
