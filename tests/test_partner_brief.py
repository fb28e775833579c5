"""The partner brief as a brand reads it: figures read back from the rendered page equal the
library's; Arabic and Khmer PDFs read right and fit their pages."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from bwcases import __version__
from bwcases.analysis import metrics
from bwcases.analysis.metrics import Window
from bwcases.core.domain import Status
from bwcases.render import pdf
from bwcases.reports.benchmark import country_rates
from bwcases.reports.briefs import render_brief
from bwcases.reports.common import long_date, percent, points
from bwcases.reports.factory import factory_report
from bwcases.reports.suppression import MIN_FACTORIES
from bwcases.store import Store
from tests.test_briefs import Figures

PERIOD = "2024-01:2026-06"
WINDOW = Window.parse(PERIOD)
MM = 72 / 25.4  # PDF points in a millimetre
RIGHT_MARGIN_MM = 16  # the brief template's @page margin
ENGINES = ("", "weasyprint")  # the default engine, and WeasyPrint where Chromium is missing
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # pdftotext adds some


@pytest.fixture(scope="module")
def demo(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shared demo portfolio, in a file of this module's own."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copy(demo_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def pages(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each buyer's brief in English (HTML), and the first buyer's in English, Arabic and Khmer
    (PDF) by each engine: "ar" by the default one (Chromium where installed), "ar/weasyprint"."""
    out = tmp_path_factory.mktemp("briefs")
    found = {}
    for pid in ("BUY001", "BUY002"):
        found[pid] = render_brief(demo, "partner", pid, PERIOD, out, formats=("html",))["html"]
    for engine in ENGINES:
        with pytest.MonkeyPatch.context() as env:
            if engine:
                env.setenv(pdf.ENGINE_VARIABLE, engine)
            folder = out / (engine or "default")
            for lang in ("en", "ar", "km"):
                made = render_brief(demo, "partner", "BUY001", PERIOD, folder, lang=lang)
                found["/".join(filter(None, (lang, engine)))] = made["pdf"]
    return found


def figures(path: Path) -> dict[str, str]:
    return read(path).figures


def read(path: Path) -> Figures:
    parser = Figures()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def reports(store: Store, pid: str) -> list:
    return [
        factory_report(store, fid, as_of=WINDOW.end, window=WINDOW)
        for fid in store.consented_factories(pid)
    ]


# -- what a brand reads -------------------------------------------------------------------


def test_each_factorys_plan_items_are_its_open_ones_and_those_closed_in_the_period(
    demo: Store, pages: dict[str, Path]
) -> None:
    shown = figures(pages["BUY001"])
    questions = demo.questions_frame().drop_duplicates("question_id").set_index("question_id")
    checked = unverified = 0
    for report in reports(demo, "BUY001"):
        fid = report.factory["factory_id"]
        plan = report.plan
        done = plan["status"] == Status.COMPLETED.value
        completed_on = pd.to_datetime(plan["completed_on"])
        closed = done & (completed_on >= pd.Timestamp(WINDOW.start))
        expected = plan[~done | (closed & (completed_on <= pd.Timestamp(WINDOW.end)))]
        rows = {k.split(":")[2].split(".")[0] for k in shown if k.startswith(f"item:{fid}:")}
        assert rows == {str(i) for i in expected["item_id"]}, fid
        for item in expected.itertuples():
            key = f"item:{fid}:{item.item_id}"
            assert shown[f"{key}.due"] == long_date(item.due_date, "en")
            assert shown[f"{key}.action"] == (item.action or "–")
            state = shown[f"{key}.state"]
            if item.status == Status.COMPLETED.value:
                assert state == f"Completed on {long_date(item.completed_on, 'en')}"
            else:
                assert state.startswith(item.status.replace("In Progress", "In progress"))
                assert state.endswith(", overdue") == bool(item.overdue)
                # a fix verified after the period's end was not verified then: open, it was not
                assert shown[f"{key}.verified"] == "–"
                unverified += item.verification is not None and not pd.isna(item.verification)
            if (
                item.question_id in questions.index
                and item.issue == questions.at[item.question_id, "question_label"]
            ):  # the CAT's question, said as what was found
                assert shown[f"{key}.finding"] == (
                    f"{item.compliance_point}: non-compliant on the assessment question "
                    f"“{item.issue}”"
                )
            checked += 1
    assert checked > 50
    assert unverified  # some items open then were verified later: the check means something


def test_each_cluster_stands_beside_the_countrys_rate_in_the_same_period(
    demo: Store, pages: dict[str, Path]
) -> None:
    compared = 0
    for pid in ("BUY001", "BUY002"):
        shown = figures(pages[pid])
        own = set(demo.consented_factories(pid))
        for report in reports(demo, pid):
            if report.latest is None:
                continue
            fid, country = report.factory["factory_id"], report.factory["country"]
            findings = demo.findings_frame(country=country, ncq_only=True)
            rates = metrics.non_compliance_rates(findings, "latest", window=WINDOW, level="cluster")
            rates = rates.set_index("cluster")
            others = findings[~findings["factory_id"].isin(own)]
            counted = metrics.non_compliance_rates(others, "latest", window=WINDOW, level="cluster")
            counted = counted.set_index("cluster")["factories_assessed"]
            for row in report.by_cluster.itertuples():
                key = f"versus:{fid}:{row.cluster}"
                assert shown[f"{key}.factory"] == (
                    f"{int(row.non_compliant_latest)} of {int(row.cps_assessed)} CPs non-compliant"
                )
                country_row = rates.loc[row.cluster]
                if counted.get(row.cluster, 0) < MIN_FACTORIES:  # few not the brand's
                    assert shown[f"{key}.country"] == "suppressed"
                    assert shown[f"{key}.factories"] == "suppressed"
                else:
                    assert shown[f"{key}.country"] == percent(country_row["non_compliance_rate"])
                    assert shown[f"{key}.factories"] == str(country_row["factories_assessed"])
                compared += 1
    assert compared > 100
    jordan = [k for k, v in figures(pages["BUY002"]).items() if v == "suppressed"]
    assert jordan, "Jordan's 3 factories give no country figure"


def test_a_factory_without_an_assessment_in_the_period_is_said_so_not_counted_as_clean(
    demo: Store, pages: dict[str, Path]
) -> None:
    page = read(pages["BUY001"])
    missing = [r for r in reports(demo, "BUY001") if r.latest is None]
    assert missing
    for report in missing:
        fid = report.factory["factory_id"]
        assert page.figures[f"{fid}.assessment_date"] == "No assessment in the period"
        assert page.figures[f"{fid}.cps_assessed"] == "–"
        assert page.figures[f"{fid}.cps_non_compliant"] == "–"
        assert page.figures[f"{fid}.score"] == "–"
        # nothing assessed, nothing found: a 0 would read as clean
        assert page.figures[f"{fid}.persistent_questions"] == "–"
        assert page.figures[f"{fid}.public_disclosure_issues"] == "–"
    assert "No assessment in the period: this page has no compliance figures." in "".join(page.text)


def test_the_change_is_in_percentage_points_and_says_lower_is_better(
    demo: Store, pages: dict[str, Path]
) -> None:
    page = read(pages["BUY001"])
    text = " ".join("".join(page.text).split())
    assert "Change (percentage points)" in text and "lower is better" in text
    moved = 0
    for report in reports(demo, "BUY001"):
        f = report.figures
        if f["factory_score"] is None or f["previous_score"] is None:
            continue
        change = f["factory_score"] - f["previous_score"]
        shown = page.figures[f"{report.factory['factory_id']}.delta"]
        assert shown == points(change)
        assert shown == "0" or shown[0] in "+\u2212"
        assert round(abs(change) * 100) == int(shown.lstrip("+\u2212"))
        moved += 1
    assert moved > 10


def test_the_executive_summary_names_overdue_actions_and_what_changed(
    demo: Store, pages: dict[str, Path]
) -> None:
    text = " ".join("".join(read(pages["BUY001"]).text).split())
    risks = text.index("Highest risks")
    assert text.index("Executive summary") < risks < text.index("Summary", risks)
    late = [r for r in reports(demo, "BUY001") if r.figures["overdue"]]
    assert late
    for report in late:
        name, n = report.factory["factory_name"], report.figures["overdue"]
        assert f"{name}: {n} actions overdue" in text
    moved = [r.figures for r in reports(demo, "BUY001") if r.figures["previous_score"] is not None]
    down = sum(
        f["factory_score"] is not None and f["factory_score"] - f["previous_score"] < -0.005
        for f in moved
    )
    assert f"Non-compliance fell in {down} factories" in text
    assert "Glossary" in text and "Percentage points" in text


def test_dates_and_provenance_read_in_words(pages: dict[str, Path]) -> None:
    html = pages["BUY001"].read_text(encoding="utf-8")
    text = " ".join("".join(read(pages["BUY001"]).text).split())
    today = long_date(dt.date.today(), "en")
    assert f"Data as of 30 June 2026, rendered {today}, bwcases {__version__}." in text
    assert "January 2024 – June 2026" in text
    assert not re.search(r"<td[^>]*>\d{4}-\d{2}-\d{2}</td>", html)  # no ISO date in a table
    assert 'class="bw-prov"' in html and "<dl>" in html  # the technical identity, small print


@pytest.mark.parametrize("engine", ENGINES)
def test_no_page_ends_with_a_heading_and_a_chart_keeps_its_title(
    pages: dict[str, Path], engine: str
) -> None:
    html = read(pages["BUY001"])
    parser = Headings()
    parser.feed(pages["BUY001"].read_text(encoding="utf-8"))
    headings = {" ".join(h.split()) for h in parser.headings}
    assert "Improvement Plan progress" in headings and len(headings) > 20
    text = pdf_text(pages["/".join(filter(None, ("en", engine)))])
    chart = "Share of your factories non-compliant, by cluster"
    for n, page in enumerate(text.split("\f")[:-1], start=1):
        lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not re.fullmatch(r"\d+ / \d+", line)]
        assert body, n
        assert body[-1] not in headings, f"page {n} ends with the heading {body[-1]!r}"
        if chart in body:  # the chart's labels, the clusters, on the same page as its title
            assert "Working Time" in body[body.index(chart) :], n
    assert html.figures  # the page read back is the one printed


class Headings(HTMLParser):
    """The texts of a page's h2 and h3 headings."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "h3"):
            self._in = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "h3"):
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.headings[-1] += data


# -- languages ------------------------------------------------------------------------------


def pdf_text(path: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_an_arabic_brief_keeps_signs_before_numbers_and_latin_names_whole(
    demo: Store, pages: dict[str, Path], engine: str
) -> None:
    path = pages["/".join(filter(None, ("ar", engine)))]
    text = BIDI_MARKS.sub("", pdf_text(path, "-f", "1", "-l", "8"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    changes = [
        points(r.figures["factory_score"] - r.figures["previous_score"])
        for r in reports(demo, "BUY001")
        if r.figures["factory_score"] is not None and r.figures["previous_score"] is not None
    ]
    signed = [c for c in changes if c[0] in "+\u2212"]
    assert signed
    for change in signed:  # read in reading order: the sign before the digits
        assert change in lines, change
    assert not [line for line in lines if re.fullmatch(r"\d+%?[+\-\u2212]", line)]
    # a Latin name keeps its full stop at its end, however its cell wraps
    assert "Co., Ltd." in lines
    assert not [line for line in lines if re.search(r"(^|\s)\.(Co|Ltd)", line)]
    assert "موجز الشريك" in text


@pytest.mark.parametrize("engine", ENGINES)
def test_khmer_tables_fit_the_page(pages: dict[str, Path], engine: str) -> None:
    boxes = pdf_text(pages["/".join(filter(None, ("km", engine)))], "-bbox")
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    right = width - RIGHT_MARGIN_MM * MM + 1.0  # a point of slack for rounding
    words = re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', boxes)
    assert len(words) > 1000
    over = [(text, float(x)) for x, text in words if float(x) > right]
    assert over == [], over[:5]


# -- the governance brief -------------------------------------------------------------------


@pytest.fixture(scope="module")
def country_page(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("country")
    return render_brief(demo, "governance", "Cambodia", PERIOD, out, formats=("html",))["html"]


def test_the_country_brief_sets_the_previous_period_beside_the_current(
    demo: Store, country_page: Path
) -> None:
    from bwcases.reports.governance import previous_window

    before = previous_window(WINDOW)
    assert str(before) == "2021-07:2023-12"  # as many months, just before
    shown = figures(country_page)
    findings = demo.findings_frame(country="Cambodia", ncq_only=True)
    now = metrics.non_compliance_rates(findings, "latest", window=WINDOW, level="cluster")
    then = metrics.non_compliance_rates(findings, "latest", window=before, level="cluster")
    then = then.set_index("cluster")
    compared = 0
    for row in now.itertuples():
        assert shown[f"{row.cluster}.non_compliance_rate"] == percent(row.non_compliance_rate)
        old = then.loc[row.cluster]
        if old["factories_assessed"] >= MIN_FACTORIES:
            assert shown[f"{row.cluster}.previous_rate"] == percent(old["non_compliance_rate"])
            change = row.non_compliance_rate - old["non_compliance_rate"]
            assert shown[f"{row.cluster}.change"] == points(change)
            compared += 1
        else:
            assert shown[f"{row.cluster}.previous_rate"] == "suppressed"
    assert compared >= 6


def test_the_country_brief_opens_with_a_summary_and_ends_with_definitions(
    demo: Store, country_page: Path
) -> None:
    page = read(country_page)
    text = " ".join("".join(page.text).split())
    rows = metrics.select_latest(
        metrics.prepare(demo.findings_frame(country="Cambodia", ncq_only=True)), WINDOW
    )
    assessed = rows["factory_id"].nunique()
    assert text.index("Summary") < text.index("Non-compliance by cluster")
    assert f"{assessed} factories were assessed in the period, each counted once" in text
    # every count of factories assessed is at most the period's: one count, one meaning
    counts = [int(v) for k, v in page.figures.items() if k.endswith(".factories_assessed")]
    assert counts and max(counts) == assessed
    assert text.rindex("Definitions") > text.index("Remediation progress")
    for term in ("Balanced panel", "Non-compliance rate", "Suppressed", "Previous period"):
        assert term in text
    html = country_page.read_text(encoding="utf-8")
    # the trend table drawn: one bar per cluster and cycle, in HTML
    trend = html[html.index('aria-label="Trend over cycles (balanced panel)"') :]
    trend = trend[: trend.index("</table>")]
    assert trend.count('class="bw-bar"') == trend.count("<tr>") * int(
        re.findall(r"each of cycles 1 to (\d+)", text)[0]
    )


def test_no_country_figure_lets_a_brand_work_out_the_other_factories(
    demo: Store, pages: dict[str, Path]
) -> None:
    """A country figure the brand's own factories make almost all of is hidden: subtracting
    what it knows of its own would give the few others' (in the demo, one Vietnamese factory
    beside BUY001's nine)."""
    hidden = 0
    for pid in ("BUY001", "BUY002"):
        shown = figures(pages[pid])
        own = set(demo.consented_factories(pid))
        for report in reports(demo, pid):
            if report.latest is None:
                continue
            fid, country = report.factory["factory_id"], report.factory["country"]
            findings = demo.findings_frame(country=country, ncq_only=True)
            others = findings[~findings["factory_id"].isin(own)]
            rates = metrics.non_compliance_rates(others, "latest", window=WINDOW, level="cluster")
            counted = rates.set_index("cluster")["factories_assessed"]
            for row in report.by_cluster.itertuples():
                key = f"versus:{fid}:{row.cluster}"
                if counted.get(row.cluster, 0) < MIN_FACTORIES:
                    assert shown[f"{key}.country"] == "suppressed", (pid, key)
                    assert shown[f"{key}.factories"] == "suppressed", (pid, key)
                    hidden += 1
            for key, value in shown.items():
                if key.startswith(f"cp:{fid}:") and key.endswith(".country"):
                    cluster, cp = key[len(f"cp:{fid}:") : -len(".country")].split(" / ")
                    mine = others[others["compliance_point"] == cp]
                    cp_rates = metrics.non_compliance_rates(
                        mine, "latest", window=WINDOW, level="cp"
                    )
                    n = int(cp_rates["factories_assessed"].sum()) if len(cp_rates) else 0
                    if n < MIN_FACTORIES:
                        assert value == "suppressed", (pid, key)
    assert hidden > 50  # the demo's brands own most of each country's assessed factories
    # the same country, read by someone with no factory in it, shows its figures
    cambodia = country_rates(demo, "Cambodia", WINDOW).by_cluster
    findings = demo.findings_frame(country="Cambodia", ncq_only=True)
    rates = metrics.non_compliance_rates(findings, "latest", window=WINDOW, level="cluster")
    assert rates["factories_assessed"].min() >= MIN_FACTORIES
    assert list(cambodia["non_compliance_rate"]) == list(rates["non_compliance_rate"])
