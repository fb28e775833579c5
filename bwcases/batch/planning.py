"""A batch's plan: a task per selected item, unless its outputs are current for the same key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import papermill as pm

from bwcases import __version__
from bwcases.batch.executor import Task
from bwcases.batch.spec import BatchSpec, select_items
from bwcases.core.digests import sha256_hex, short_digest
from bwcases.core.paths import absolute_store

if TYPE_CHECKING:
    from bwcases.store.register import RegisterStore


def code_version() -> str:
    """The version of bwcases that produced an output."""
    return __version__


@dataclass
class Plan:
    """The tasks of a batch, with the items whose outputs are already current."""

    spec: BatchSpec
    tasks: list[Task]
    current: list[str]
    keys: dict[str, str]
    snapshots: dict[str, str]


def plan(
    spec: BatchSpec, store: RegisterStore, *, force: bool = False, only: Iterable[str] | None = None
) -> Plan:
    """Decide what to run: every selected item whose output is not current (or all, forced)."""
    items = select_items(spec, store, only)
    snapshots = _fingerprints(spec, store, items)
    notebook_digest = sha256_hex(spec.notebook.read_bytes())[:20]
    declared = set(pm.inspect_notebook(str(spec.notebook)))
    shared = dict(spec.parameters)
    if "db" in declared and "db" not in shared:
        shared["db"] = store.url
    if isinstance(shared.get("db"), str):
        shared["db"] = absolute_store(shared["db"])  # kernels start in the notebook's folder
    version = code_version()
    tasks, current, keys = [], [], {}
    for item in items:
        params = {**shared, spec.item_parameter: item}
        key = short_digest((notebook_digest, params, snapshots[item], version, spec.formats))
        keys[item] = key
        paths = spec.outputs(item)
        if not force and _is_current(paths, key):
            current.append(item)
            continue
        metadata = {
            "item": item,
            "key": key,
            "parameters": params,
            "snapshot": snapshots[item],
            "code_version": version,
        }
        tasks.append(
            Task(
                item=item,
                notebook=str(spec.notebook),
                parameters=params,
                ipynb=str(paths["ipynb"]),
                html=_str(paths.get("html")),
                pdf=_str(paths.get("pdf")),
                template=spec.template,
                scratch=str(spec.output / ".tmp"),
                metadata=metadata,
                timeout=spec.timeout,
                kernel_name=spec.kernel,
            )
        )
    return Plan(spec, tasks, current, keys, snapshots)


def _fingerprints(spec: BatchSpec, store: RegisterStore, items: list[str]) -> dict[str, str]:
    """For each item, a digest that changes whenever its data changes (a country's: that of
    every factory in it)."""
    if spec.for_each == "factory":
        return store.factory_fingerprints(items)
    if spec.for_each == "partner":
        return store.partner_fingerprints(items)
    register = store.factory_countries()
    out = {}
    for country in items:
        ids = sorted(fid for fid, where in register.items() if where == country)
        out[country] = short_digest(sorted(store.factory_fingerprints(ids).items()))
    return out


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _is_current(paths: dict[str, Path], key: str) -> bool:
    if not all(p.is_file() for p in paths.values()):
        return False
    try:
        meta = nbformat.read(paths["ipynb"], as_version=4).metadata.get("bwcases", {})
    except Exception:  # an unreadable output is not current
        return False
    return meta.get("key") == key and meta.get("status") == "ok"
