"""axe-core, the accessibility checker, injected into pages the browser tests reach.

The npm package's tarball is fetched once from the registry, checked against its published
integrity hash, and kept beside the virtual environment: tests need no Node.js.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE = Path(__file__).resolve().parent.parent / ".venv" / f"axe-core-{VERSION}.min.js"
BLOCKING = ("critical", "serious", "moderate", "minor")  # a page may have no violation at all


@lru_cache(maxsize=1)
def script() -> str:
    """axe.min.js of axe-core VERSION (downloaded and checked on first use)."""
    if not CACHE.exists():
        with urllib.request.urlopen(TARBALL, timeout=60) as answer:
            tarball = answer.read()
        algorithm, expected = INTEGRITY.split("-", 1)
        digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if digest != expected:
            raise RuntimeError(f"{TARBALL}: integrity {digest} is not the published {expected}")
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_bytes(member.read())
    return CACHE.read_text(encoding="utf-8")


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now, of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=script())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in found if v.get("impact") in impacts]


def report(found: list[dict[str, Any]]) -> str:
    """The violations as lines a person can act on: rule, impact, and where."""
    lines = []
    for v in found:
        targets = ["".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(targets)}")
    return "\n".join(lines)
