"""HTML from the package's one Jinja environment: templates inside the package, values escaped."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from jinja2 import FileSystemBytecodeCache, UndefinedError

from bwcases.render.html import SUPPRESSED, escape, figure_table, table
from bwcases.render.templating import ENV, Markup, render
from bwcases.reports.factory import factory_report, report_html
from bwcases.store import Store
from tests.helpers import add_item, fill_case

EVIL = "<script>alert(1)</script>"
QUOTES = "\"'&"
HOSTILE = f"{EVIL} {QUOTES}"


class Parsed(HTMLParser):
    """The tags, the cells' text and the attributes of an HTML piece, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[dict[str, str | None]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.append(dict(attrs))
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_template_in_the_package_compiles() -> None:
    names = ENV.list_templates()
    assert {"tables.html.j2", "web/sign_in.html.j2", "apps/pieces.html.j2"} <= set(names)
    for name in names:
        ENV.get_template(name)


def test_templates_come_compiled_from_the_cache_and_write_the_same(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jinja's bytecode cache: a process's templates come compiled from the user's private
    # folder; what they write is what a fresh compile writes
    fill_case(store, tmp_path)
    report = factory_report(store, "VN001", as_of="2024-12-31")
    cache = ENV.bytecode_cache
    assert isinstance(cache, FileSystemBytecodeCache)
    ENV.cache.clear()  # the templates this process holds: loaded again through the cache
    first = report_html(report)
    written = list(Path(cache.directory).glob(cache.pattern % "*"))
    assert written, "the compiled templates are kept"
    ENV.cache.clear()
    from_cache = report_html(report)
    monkeypatch.setattr(ENV, "bytecode_cache", None)
    ENV.cache.clear()
    assert first == from_cache == report_html(report)


def test_values_are_escaped_and_markup_is_kept() -> None:
    out = ENV.from_string('<p title="{{ v }}">{{ v }}{{ m }}</p>').render(
        v=HOSTILE, m=Markup("<b>kept</b>")
    )
    parsed = Parsed(out)
    assert parsed.tags == ["p", "b"]  # nothing of the value became a tag
    assert parsed.attrs[0]["title"] == HOSTILE  # nor left its attribute


def test_a_name_missing_from_a_template_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        render("web/busy.html.j2", lang="en", dir="ltr", title="Busy")  # no message


def test_escape_gives_plain_text_safe_in_html() -> None:
    assert escape(None) == ""
    assert escape(HOSTILE) == "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&#39;&amp;"
    assert type(escape(HOSTILE)) is str  # callers join it with markup by +: never Markup


def test_a_table_shows_each_cell_and_header_as_text() -> None:
    frame = pd.DataFrame(
        {
            "name": [HOSTILE, None],
            "flag": [True, False],
            "n": [3, 4],
            HOSTILE: ["a", float("nan")],
        }
    )
    parsed = Parsed(table(frame))
    assert "script" not in parsed.tags
    assert parsed.cells == ["name", "flag", "n", HOSTILE, HOSTILE, "✔", "3", "a", "–", "", "4", "–"]


def test_an_empty_table_says_so_as_text() -> None:
    parsed = Parsed(table(pd.DataFrame(columns=["a"]), empty=HOSTILE))
    assert parsed.tags == ["p"] and parsed.attrs[0]["class"] == "bw-empty"
    assert Parsed(figure_table(pd.DataFrame(), key="k", labels={}, empty=HOSTILE)).tags == ["p"]


def test_a_figure_table_names_each_figure_and_shows_suppressed_ones_by_a_marker() -> None:
    frame = pd.DataFrame(
        {"k": [HOSTILE, "B"], "rate": [0.5, SUPPRESSED], "n": [None, 7]}, dtype=object
    )
    html = figure_table(
        frame,
        key="k",
        labels={"rate": f"Rate {HOSTILE}", "n": "Factories"},
        formats={"rate": ".0%"},
        marker=HOSTILE,
        prefix=f"{QUOTES}:",
    )
    parsed = Parsed(html)
    assert "script" not in parsed.tags
    assert parsed.cells == [f"Rate {HOSTILE}", "Factories", "50%", "–", HOSTILE, "7"]
    cells = [a for tag, a in zip(parsed.tags, parsed.attrs, strict=True) if tag == "td"]
    assert [c["data-figure"] for c in cells] == [
        f"{QUOTES}:{HOSTILE}.rate",
        f"{QUOTES}:{HOSTILE}.n",
        f"{QUOTES}:B.rate",
        f"{QUOTES}:B.n",
    ]
    assert [c.get("class") for c in cells] == [None, None, "bw-suppressed", None]


def test_a_factory_report_shows_a_name_and_an_items_texts_as_text(
    store: Store, tmp_path: Path
) -> None:
    fill_case(store, tmp_path)
    store.update_factories([{"factory_id": "VN001", "factory_name": HOSTILE}], actor="test")
    texts = {"issue": HOSTILE, "action": HOSTILE, "responsible": HOSTILE}
    values = {
        **texts,
        "factory_id": "VN001",
        "source": "self-diagnosis",
        "compliance_point": "Overtime",
        "due_date": dt.date(2024, 7, 31),
        "status": "Pending",
        "opened_on": dt.date(2024, 5, 1),
    }
    add_item(store, values, actor="test")
    html = report_html(factory_report(store, "VN001", as_of="2024-12-31"))
    parsed = Parsed(html)
    assert "script" not in parsed.tags
    assert f"<h1>{escape(HOSTILE)} (VN001)</h1>" in html
    assert ["Overtime", HOSTILE, HOSTILE, HOSTILE, "31 July 2024", "Pending"] in [
        parsed.cells[i : i + 6] for i in range(len(parsed.cells))
    ]


def test_a_factory_reports_facts_come_in_the_readers_language(store: Store, tmp_path: Path) -> None:
    fill_case(store, tmp_path)
    html = report_html(factory_report(store, "KH001", as_of="2024-12-31", lang="vi"))
    assert "<p>Quốc gia: Cambodia · Tính đến: 31 tháng 12, 2024</p>" in html
    assert "Đánh giá gần nhất: 1003 (chu kỳ 1, 10 tháng 6, 2023) · Số điểm tuân thủ" in html
