"""Papermill for a run's command, without Arrow: papermill's HDFS handler imports pyarrow (and
numpy with it), a tenth of a second and 40 MB of the command, which writes no hdfs:// path."""

from __future__ import annotations

import sys


def import_papermill() -> None:
    """Import papermill with its HDFS handler left out; pyarrow itself stays importable.

    Only for a process that imports nothing else meanwhile (the run's command: it plans without
    pandas): a thread importing pandas just then would take Arrow for missing.
    """
    if "papermill" in sys.modules or "pyarrow" in sys.modules:
        return  # imported already: nothing to save
    sys.modules["pyarrow"] = None  # type: ignore[assignment]  # what `import` takes for missing
    try:
        import papermill  # noqa: F401
    finally:
        if "pyarrow" in sys.modules and sys.modules["pyarrow"] is None:
            del sys.modules["pyarrow"]
