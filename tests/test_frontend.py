"""The apps' page script (frontend/): the committed bundle is the one its sources build."""

from __future__ import annotations

import hashlib
import json
import re

from bwcases.core.paths import ROOT
from bwcases.web.voila_app import PAGE_ASSETS, PAGE_TEMPLATE

FRONTEND = ROOT / "frontend"
REBUILD = "rebuild it: cd frontend && npm ci && npm run build"


def sources_hash() -> str:
    """The hash frontend/build.mjs writes: each source's path and content, in path order."""
    paths = ["build.mjs", "package.json", "package-lock.json"]
    paths += [f"src/{p.name}" for p in (FRONTEND / "src").iterdir()]
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.encode() + b"\0" + (FRONTEND / path).read_bytes() + b"\0")
    return digest.hexdigest()


def assets() -> str:
    return (PAGE_TEMPLATE / "assets.html.j2").read_text(encoding="utf-8")


def test_the_page_script_was_built_from_its_sources() -> None:
    built_from = re.search(r"sources ([0-9a-f]{64})", assets())
    assert built_from, "assets.html.j2 names no sources"
    assert built_from[1] == sources_hash(), f"the page script is older than its sources; {REBUILD}"


def test_the_page_asks_for_its_files_by_their_content() -> None:
    # browsers keep a file asked for with ?v=<hash> for good: the hash must be its content's
    asked = dict(re.findall(r"voila/bwcases/([\w.]+)\?v=([0-9a-f]{16})", assets()))
    assert set(asked) == {"apps.js", "apps.css"}
    for name, version in asked.items():
        content = (PAGE_ASSETS / name).read_bytes()
        assert hashlib.sha256(content).hexdigest()[:16] == version, f"{name}: {REBUILD}"


def test_the_bundle_carries_its_licences() -> None:
    licences = (PAGE_ASSETS / "apps.js.LICENSES.txt").read_text(encoding="utf-8")
    wanted = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))["dependencies"]
    for package in wanted:
        assert re.search(rf"^{re.escape(package)} [0-9.]+ \(", licences, re.M), package
    assert "Copyright (c) Project Jupyter" in licences  # the widgets


def test_the_page_sends_no_more_evidence_than_the_server_takes() -> None:
    from bwcases.apps.evidence import MAX_BYTES, MAX_FILES
    from bwcases.web.serve import MAX_MESSAGE

    script = (FRONTEND / "src" / "index.js").read_text(encoding="utf-8")
    limit = re.search(r"const MAX_FILE_BYTES = (\d+) \* (\d+) \* (\d+);", script)
    count = re.search(r"const MAX_FILES = (\d+);", script)
    assert limit and count, "frontend/src/index.js states its evidence limits"
    assert int(limit[1]) * int(limit[2]) * int(limit[3]) == MAX_BYTES
    assert int(count[1]) == MAX_FILES
    assert MAX_FILES * MAX_BYTES < MAX_MESSAGE  # the most the page sends fits one message


def test_the_page_speaks_every_language_of_the_apps() -> None:
    from bwcases.core.i18n import LANGUAGES, translator

    texts = json.loads((FRONTEND / "src" / "texts.json").read_text(encoding="utf-8"))
    assert set(texts) == set(LANGUAGES)
    for lang, said in texts.items():
        assert set(said) == set(texts["en"]), lang
        assert all(said[key].strip() for key in said), lang
        for key in ("left", "over", "reading", "sending"):
            assert "{n}" in said[key], (lang, key)
        # past the limit the page says what the kernel says when she saves (apps/forms.py)
        assert said["over"] == str(translator(lang)("At most {n} characters.")), lang
