"""Inside a warm kernel that runs one notebook after another: put back the state of before.

A batch keeps kernels warm so that imports are paid once, and the next factory's run must not
see anything the previous run defined, imported or changed. `take()` records the kernel's state
after warm-up; `restore()` returns to it: the user namespace, modules imported since, names
(re)bound in modules, environment variables, working directory, sys.path, warning filters,
pandas options, matplotlib settings and figures, and the global random generators.
"""

from __future__ import annotations

import os
import random
import sys
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
    for name in dropped:
        del sys.modules[name]
    for name, saved in snap.globals_of.items():
        mod = sys.modules.get(name)
        if mod is None:
            continue
        now = vars(mod)
        for key in [k for k in now if k not in saved]:
            del now[key]
        for key, value in saved.items():
            if now.get(key, _MISSING) is not value:
                now[key] = value
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
    return dropped


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
