"""The package's one Jinja environment: HTML templates shipped inside it, every value escaped."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from markupsafe import escape as _escape

__all__ = ["ENV", "Markup", "escape", "macros", "render"]

ENV = Environment(
    loader=PackageLoader("bwcases.render", "templates"),
    autoescape=True,  # every template here writes HTML: a value is text unless it is Markup
    undefined=StrictUndefined,  # a name the caller forgot is an error, not an empty string
    auto_reload=False,  # templates change with the package, never while it runs
    trim_blocks=True,
    lstrip_blocks=True,
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
