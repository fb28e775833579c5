"""The package's one Jinja environment: HTML templates shipped inside it, every value escaped."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from markupsafe import Markup
from markupsafe import escape as _escape

__all__ = ["ENV", "Markup", "escape", "macros", "render"]


# What a compiled template depends on besides its source (and Jinja's and Python's versions,
# which Jinja checks itself). Every template here writes HTML: a value is text unless it is
# Markup.
_COMPILING = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Templates compiled once for every process of this user, in Jinja's own private folder
    (checked by their source: a changed template is compiled again); none where it cannot be."""
    how = hashlib.sha256(repr(sorted(_COMPILING.items())).encode()).hexdigest()[:12]
    try:
        return FileSystemBytecodeCache(pattern=f"__bwcases_{how}_%s.cache")
    except (OSError, RuntimeError):  # no temporary folder of one's own
        return None


ENV = Environment(
    loader=PackageLoader("bwcases.render", "templates"),
    bytecode_cache=_bytecode_cache(),  # a process's first pages: 90 ms less for them all
    undefined=StrictUndefined,  # a name the caller forgot is an error, not an empty string
    auto_reload=False,  # templates change with the package, never while it runs
    **_COMPILING,  # type: ignore[arg-type]
)


def escape(value: object) -> str:
    """Text made safe to place in HTML (None as nothing)."""
    # A plain str, not Markup: callers join it with markup of their own by + and f-strings.
    return "" if value is None else str(_escape(value))


def render(name: str, /, **context: Any) -> str:
    """A template filled in with the context (compiled once, on its first use)."""
    return ENV.get_template(name).render(context)


@functools.cache
def macros(name: str) -> Any:
    """A template's macros, to call from Python; each returns Markup."""
    return ENV.get_template(name).module
