"""Every HTML bwcases writes stands alone: nothing fetched when it is opened; a brief's folder
holds only what she asked for."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from bwcases.batch.run import run
from bwcases.batch.spec import load_spec
from bwcases.core.errors import BwcasesError
from bwcases.reports import briefs
from bwcases.reports.briefs import BriefKind, render_brief
from bwcases.store import Store
from tests.helpers import ROOT, bw

PERIOD = "2024-01:2026-06"
# what a browser fetches by itself when it opens a page: an address outside the file
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
LOCAL_SCHEMES = ("data:", "about:", "#")
FETCHING = {  # element: the attributes whose address a browser loads
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "image": ("href", "xlink:href"),  # SVG
    "use": ("href", "xlink:href"),  # SVG
    "feimage": ("href", "xlink:href"),  # SVG
    "input": ("src",),
}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class Fetches(HTMLParser):
    """The addresses a page would load when opened: elements' sources, CSS url() and @import,
    in style elements and style attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in FETCHING.get(tag, ()):
            value = values.get(name)
            if value:
                self.addresses += [part.split()[0] for part in value.split(",") if part.strip()]
        if values.get("style"):
            self._css(values["style"] or "")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.addresses.append((values.get("content") or "").partition("url=")[2])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, css: str) -> None:
        for match in CSS_URL.finditer(css):
            self.addresses.append(match.group(2) or match.group(4))


def remote_addresses(html: str) -> list[str]:
    """The addresses outside the page itself that opening it would fetch."""
    parser = Fetches()
    parser.feed(html)
    parser.close()
    return [
        a
        for a in parser.addresses
        if REMOTE.match(a) and not a.strip().lower().startswith(LOCAL_SCHEMES)
    ]


@pytest.fixture(scope="module")
def demo(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shared demo portfolio, in a file of this module's own."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copy(demo_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


def buyer(store: Store) -> str:
    return str(store.partners_frame().query("partner_type == 'buyer'")["partner_id"].iloc[0])


# -- the checker finds each way a page fetches --------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js">',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Noto">',
        '<style>@import "https://example.org/a.css";</style>',
        "<style>body { background: url('http://example.org/x.png') }</style>",
        '<p style="background:url(https://example.org/y.png)">',
        '<iframe src="https://example.org/"></iframe>',
        '<img srcset="a.png 1x, https://example.org/b.png 2x">',
        '<svg><image href="https://example.org/c.png"/></svg>',
    ],
)
def test_the_checker_finds_an_address_fetched_from_elsewhere(html: str) -> None:
    assert remote_addresses(html), html


def test_the_checker_leaves_inline_data_namespaces_and_links_alone() -> None:
    html = (
        '<svg xmlns="http://www.w3.org/2000/svg"><use href="#c1-p"/></svg>'
        "<style>i { background: url(data:image/png;base64,AAAA) }</style>"
        '<a href="https://betterwork.org/">Better Work</a>'  # followed only when clicked
    )
    assert remote_addresses(html) == []


# -- every HTML bwcases writes -------------------------------------------------------------


def written_pages(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def test_briefs_fetch_nothing_when_opened(demo: Store, tmp_path: Path) -> None:
    country = str(demo.factories_frame()["country"].value_counts().index[0])
    render_brief(demo, "partner", buyer(demo), PERIOD, tmp_path, formats=("html",))
    render_brief(demo, "governance", country, PERIOD, tmp_path, formats=("html",), lang="ar")
    pages = written_pages(tmp_path)
    assert len(pages) == 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'class="bw-chart"' in html, page.name  # the charts are in the page itself
        assert remote_addresses(html) == [], page.name


def test_factory_reports_and_batch_outputs_fetch_nothing_when_opened(
    demo: Store, tmp_path: Path
) -> None:
    ids = list(demo.factories_frame()["factory_id"].iloc[:2])
    batches = {
        "reports": {  # the default look: a notebook's outputs, as JupyterLab shows them
            "notebook": str(ROOT / "notebooks" / "factory_progress_report.ipynb"),
            "select": {"ids": ids},
            "parameters": {"as_of": "2026-06-30"},
        },
        "briefs": {
            "notebook": str(ROOT / "notebooks" / "partner_brief.ipynb"),
            "for_each": "partner",
            "select": {"ids": [buyer(demo)]},
            "parameters": {"period": PERIOD},
            "template": "brief",
        },
    }
    for name, batch in batches.items():
        spec = tmp_path / f"{name}.yaml"
        batch = {**batch, "output": str(tmp_path / name), "formats": ["html"]}
        spec.write_text(yaml.safe_dump(batch), encoding="utf-8")
        outcome = run(load_spec(spec), demo, workers=1)
        assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    pages = written_pages(tmp_path)
    assert len(pages) == 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert remote_addresses(html) == [], page.name
        assert "require.js" not in html and "MathJax" not in html, page.name
    report = (tmp_path / "reports" / f"{ids[0]}.html").read_text(encoding="utf-8")
    assert ids[0] in report and "<table" in report  # the report itself is there


# -- what a brief's folder holds ------------------------------------------------------------


def test_a_brief_leaves_only_its_html_and_pdf(
    demo: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = bw("--db", demo.url, "brief", "partner", buyer(demo), "--period", PERIOD, "-o", "out")
    assert done.exit_code == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert [Path(n).suffix for n in names] == [".html", ".pdf"], names
    assert sorted(done.stdout.split()) == [str(Path("out") / n) for n in names]


def test_keep_notebook_keeps_the_executed_notebook(demo: Store, tmp_path: Path) -> None:
    args = ("brief", "partner", buyer(demo), "--period", PERIOD, "-o", str(tmp_path))
    done = bw("--db", demo.url, *args, "--keep-notebook")
    assert done.exit_code == 0, done.stderr
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".html", ".ipynb", ".pdf"]
    (executed,) = tmp_path.glob("*.ipynb")
    assert nbformat.read(executed, as_version=4).metadata["bwcases"]["status"] == "ok"


def test_a_failed_brief_keeps_its_notebook_and_no_temporary_folder(
    demo: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            'partner_id = ""\nperiod = ""\nlang = "en"\ndb = ""', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell("raise ValueError('the store went away')"),
    ]
    nbformat.write(nb, broken)
    kind = BriefKind(str(broken), "partner_id", briefs.KINDS["partner"].check)
    monkeypatch.setitem(briefs.KINDS, "partner", kind)
    out = tmp_path / "out"
    with pytest.raises(BwcasesError, match="the store went away"):
        render_brief(demo, "partner", buyer(demo), PERIOD, out)
    left = sorted(p.name for p in out.iterdir())
    assert len(left) == 1 and left[0].endswith(".ipynb"), left  # the failing cell is marked
    failed = nbformat.read(out / left[0], as_version=4)
    assert failed.metadata["bwcases"]["status"] == "failed"


def test_an_unknown_language_is_refused_naming_the_known(demo: Store, tmp_path: Path) -> None:
    args = ("brief", "partner", buyer(demo), "--period", PERIOD, "-o", str(tmp_path / "out"))
    done = bw("--db", demo.url, *args, "--lang", "xx")
    assert done.exit_code == 2
    assert "'xx'" in done.stderr and "km (ខ្មែរ)" in done.stderr and "ar (" in done.stderr
    assert not (tmp_path / "out").exists()
