"""Briefs rendered for real: what each reader may see, suppression, escaping, HTML and PDF."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bwcases.analysis import queries
from bwcases.analysis.metrics import Window
from bwcases.batch.run import run
from bwcases.batch.spec import load_spec
from bwcases.core.errors import UsageError
from bwcases.io.importers import import_file
from bwcases.reports import charts, partner
from bwcases.reports.briefs import render_brief
from bwcases.reports.common import heading, para, section
from bwcases.reports.factory import factory_report
from bwcases.reports.suppression import SUPPRESSED, suppress
from bwcases.store import Store
from tests.helpers import ROOT, bw, write_csv

PERIOD = "2024-01:2026-06"


class Figures(HTMLParser):
    """Collects data-figure cells (and all text) of a rendered brief."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.text: list[str] = []
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._key = dict(attrs).get("data-figure") if tag == "td" else None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._key is not None:
            self.figures[self._key] = self.figures.get(self._key, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._key = None


def read(path: Path) -> Figures:
    parser = Figures()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def demo(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shared demo portfolio, in a file of this module's own."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copy(demo_template, path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


# -- suppression --------------------------------------------------------------------------


def test_small_groups_are_suppressed() -> None:
    frame = pd.DataFrame({"cp": ["A", "B"], "factories": [4, 5], "rate": [0.5, 0.2]})
    out = suppress(frame, "factories", ["rate"])
    assert out.loc[0, "rate"] is SUPPRESSED and out.loc[0, "factories"] is SUPPRESSED
    assert out.loc[1, "rate"] == 0.2


def test_a_lone_suppressed_row_takes_another_with_it_when_a_total_is_shown() -> None:
    frame = pd.DataFrame(
        {
            "cluster": ["A", "B", "C", "Total"],
            "factories": [3, 9, 6, 12],
            "items": [4, 30, 12, 46],
            "is_total": [False, False, False, True],
        }
    )
    out = suppress(frame, "factories", ["items"], total="is_total")
    hidden = [c for c, v in zip(out["cluster"], out["items"], strict=True) if v is SUPPRESSED]
    assert hidden == ["A", "C"]  # C is the next smallest: 46 - 30 no longer gives A
    assert out.loc[3, "items"] == 46


def test_small_rows_hidden_together_take_more_with_them_until_their_sum_is_no_small_group() -> None:
    frame = pd.DataFrame(
        {
            "cluster": ["A", "B", "C", "D", "Total"],
            "factories": [1, 2, 9, 7, 19],
            "items": [2, 3, 30, 12, 47],
            "is_total": [False, False, False, False, True],
        }
    )
    out = suppress(frame, "factories", ["items"], total="is_total")
    hidden = [c for c, v in zip(out["cluster"], out["items"], strict=True) if v is SUPPRESSED]
    # 47 - 30 - 12 would give A and B together, from 3 factories: D goes with them
    assert hidden == ["A", "B", "D"]
    assert out.loc[4, "items"] == 47


def test_a_total_from_too_few_factories_hides_the_whole_table() -> None:
    frame = pd.DataFrame(
        {"cluster": ["A", "Total"], "factories": [3, 3], "items": [4, 4], "is_total": [False, True]}
    )
    out = suppress(frame, "factories", ["items"], total="is_total")
    assert all(v is SUPPRESSED for v in out["items"])


# -- partner briefs -----------------------------------------------------------------------


def test_every_partner_brief_shows_only_consented_factories(demo: Store, tmp_path: Path) -> None:
    spec_path = tmp_path / "briefs.yaml"
    spec_path.write_text(
        yaml.safe_dump(
            {
                "notebook": str(ROOT / "notebooks" / "partner_brief.ipynb"),
                "for_each": "partner",
                "select": {"partner_type": "buyer"},
                "parameters": {"period": PERIOD},
                "output": str(tmp_path / "out"),
                "formats": ["html"],
                "template": "brief",
                "layout": "folders",
            }
        )
    )
    outcome = run(load_spec(spec_path), demo, workers=2)
    assert outcome.exit_status == 0, [r.error for r in outcome.failed]
    register = demo.factories_frame()
    buyers = demo.partners_frame()
    buyers = buyers[buyers["partner_type"] == "buyer"]
    assert len(buyers["partner_id"].unique()) >= 2
    for pid in buyers["partner_id"].unique():
        html = (tmp_path / "out" / pid / "partner_brief.html").read_text(encoding="utf-8")
        allowed = set(demo.consented_factories(pid))
        assert allowed, pid
        allowed_names = set(register.loc[register["factory_id"].isin(allowed), "factory_name"])
        for fid, name in zip(register["factory_id"], register["factory_name"], strict=True):
            if fid in allowed:
                assert fid in html
            else:
                assert fid not in html, f"{pid}'s brief shows {fid}"
                if not any(name in other for other in allowed_names):  # names may overlap
                    assert name not in html, f"{pid}'s brief shows {name}"


def test_partner_brief_figures_equal_the_librarys(demo: Store, tmp_path: Path) -> None:
    pid = demo.partners_frame().query("partner_type == 'buyer'")["partner_id"].iloc[0]
    paths = render_brief(demo, "partner", pid, PERIOD, tmp_path, formats=("html",))
    shown = read(paths["html"]).figures
    window = Window.parse(PERIOD)
    for fid in demo.consented_factories(pid):
        expected = factory_report(demo, fid, as_of=window.end, window=window).figures
        if expected["quest_id"] is None:
            continue
        for key in ("cps_non_compliant", "cps_assessed"):
            assert shown[f"{fid}.{key}"] == str(expected[key]), (fid, key)
        for key in ("plan_items", "completed", "in_progress", "pending", "overdue"):
            assert shown[f"plan:{fid}.{key}"] == str(expected[key]), (fid, key)
        for key in ("completed", "pending", "overdue"):
            assert shown[f"factory:{fid}.{key}"] == str(expected[key]), (fid, key)


def test_a_brief_reads_a_store_named_relative_to_where_she_runs_it(
    demo: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the brief's kernel starts in the notebooks' folder: it must still find her store
    (tmp_path / "data").mkdir()
    shutil.copy(demo.url.removeprefix("sqlite:///"), tmp_path / "data" / "cases.sqlite")
    monkeypatch.chdir(tmp_path)
    pid = demo.partners_frame().query("partner_type == 'buyer'")["partner_id"].iloc[0]
    args = ("brief", "partner", pid, "--period", PERIOD, "-o", "out")
    done = bw("--db", "sqlite:///data/cases.sqlite", *args)
    assert done.exit_code == 0, done.stderr
    (html,) = (tmp_path / "out").glob("*.html")
    assert escape(demo.partner(pid)["partner_name"]) in html.read_text(encoding="utf-8")


def test_a_governance_body_gets_no_partner_brief(demo: Store, tmp_path: Path) -> None:
    pac = demo.partners_frame().query("partner_type == 'governance'")["partner_id"].iloc[0]
    with pytest.raises(UsageError, match="governance body"):
        render_brief(demo, "partner", pac, PERIOD, tmp_path)
    done = bw("--db", demo.url, "brief", "partner", pac, "--period", PERIOD, "-o", str(tmp_path))
    assert done.exit_code == 2 and "governance body" in done.stderr
    assert not list(tmp_path.glob("*.html"))


def test_a_partner_not_in_the_store_is_refused_at_once_and_leaves_no_kernel(
    demo: Store, tmp_path: Path
) -> None:
    # The brief's kernel starts while the partner is checked: a refusal ends the command there,
    # without waiting for the kernel to warm up, and leaves no kernel of its own behind
    argv = [sys.executable, "-m", "bwcases", "--db", demo.url, "brief", "partner", "NOPE"]
    argv += ["--period", PERIOD, "-o", str(tmp_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and b"no partner 'NOPE' in the store" in err
    assert not list(tmp_path.iterdir())
    deadline = time.monotonic() + 15  # a kernel still starting ends once it finds itself alone
    while _kernels_started_by(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _kernels_started_by(proc.pid) == []


def _kernels_started_by(pid: int) -> list[int]:
    """Kernels jupyter_client started for a process (it names its parent in their environment)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"JPY_PARENT_PID={pid}\0".encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


# -- governance briefs --------------------------------------------------------------------


def small_country(store: Store, tmp_path: Path) -> None:
    """Seven Haitian factories; Paid Leave is asked in only three of them."""
    lines = []
    for n in range(1, 8):
        fid = f"HT{n:03d}"
        for cycle, year in ((1, 2023), (2, 2024)):
            quest = 100 * cycle + n
            date = f"15/0{n}/{year}"
            lines.append(
                f"Haiti,{cycle},{fid},Usine {n},{quest},{date},NCQ,Wages paid?,W1,"
                f"Minimum Wages/Piece Rate Wages,Compensation,{(n + cycle) % 2},"
            )
            lines.append(
                f"Haiti,{cycle},{fid},Usine {n},{quest},{date},NCQ,Exits clear?,E1,"
                f"Emergency Preparedness,Occupational Safety and Health,{n % 3 == 0:d},"
            )
            if n <= 3:
                lines.append(
                    f"Haiti,{cycle},{fid},Usine {n},{quest},{date},NCQ,Leave paid?,L1,"
                    f"Paid Leave,Compensation,1,"
                )
    import_file(store, "assessments", write_csv(tmp_path / "haiti.csv", lines))
    plan = [
        "Factory.ID,Quest.ID,Question.ID,Compliance.point,Issue,Action,Responsible,Due.Date,Status,Notes"
    ]
    for n in range(1, 8):
        plan.append(
            f"HT{n:03d},20{n},E1,Emergency Preparedness,Exits,Clear,HR,01/01/2025,Completed,"
        )
        plan.append(
            f"HT{n:03d},20{n},W1,Minimum Wages/Piece Rate Wages,Pay,Pay,HR,01/01/2025,Pending,"
        )
    for n in range(1, 4):
        plan.append(f"HT{n:03d},20{n},L1,Paid Leave,Leave,Pay leave,HR,01/01/2025,In Progress,")
        plan.append(f"HT{n:03d},,,Overtime,Long hours,Cap overtime,HR,01/01/2025,In Progress,")
    (tmp_path / "plan.csv").write_text("\n".join(plan) + "\n", encoding="utf-8")
    import_file(store, "improvement-plan", tmp_path / "plan.csv")


def test_governance_brief_suppresses_small_groups_even_by_subtraction(
    sqlite_store: Store, tmp_path: Path
) -> None:
    small_country(sqlite_store, tmp_path)
    paths = render_brief(
        sqlite_store, "governance", "Haiti", "2024-01:2026-12", tmp_path, formats=("html",)
    )
    page = read(paths["html"])
    figures = page.figures
    assert figures["Compensation / Paid Leave.non_compliance_rate"] == "suppressed"
    assert figures["Compensation / Paid Leave.factories_non_compliant"] == "suppressed"
    rates = queries.rates(
        sqlite_store, "latest", window=Window.parse("2024-01:2026-12"), country="Haiti"
    )
    wages = rates.set_index("compliance_point").loc["Minimum Wages/Piece Rate Wages"]
    shown = figures["Compensation / Minimum Wages/Piece Rate Wages.non_compliance_rate"]
    assert shown == f"{wages['non_compliance_rate']:.0%}"
    # Remediation: Working Time items come from 3 factories only. With the total shown, hiding
    # that row alone would let a reader subtract it back, so another row is hidden with it.
    progress = {k.split(".")[0]: v for k, v in figures.items() if k.endswith(".items")}
    hidden = sorted(c for c, v in progress.items() if v == "suppressed")
    assert "Working Time" in hidden and len(hidden) == 2 and progress["Total"] == "20"
    assert sum(int(v) for c, v in progress.items() if v.isdigit() and c != "Total") < 17


def test_governance_brief_with_too_few_factories_shows_no_figure(
    sqlite_store: Store, tmp_path: Path, export_file: Path
) -> None:
    import_file(sqlite_store, "assessments", export_file)
    paths = render_brief(  # a country by its ISO code, as on every command
        sqlite_store, "governance", "vn", "2023-01:2024-12", tmp_path, formats=("html",)
    )
    assert paths["html"].name.startswith("governance-brief-Vietnam-")
    page = read(paths["html"])
    assert page.figures == {}
    assert "Too few factories" in "".join(page.text)


def test_a_governance_brief_of_an_unknown_country_lists_the_known(
    sqlite_store: Store, tmp_path: Path, export_file: Path
) -> None:
    import_file(sqlite_store, "assessments", export_file)
    with pytest.raises(UsageError, match=r"'Atlantis'.*Vietnam \(VN\)"):
        render_brief(sqlite_store, "governance", "Atlantis", PERIOD, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_governance_brief_figures_equal_the_librarys(demo: Store, tmp_path: Path) -> None:
    country = demo.factories_frame()["country"].value_counts().index[0]
    paths = render_brief(demo, "governance", country, PERIOD, tmp_path, formats=("html",))
    figures = read(paths["html"]).figures
    rates = queries.rates(
        demo, "latest", window=Window.parse(PERIOD), country=country, level="cluster"
    )
    for row in rates.itertuples():
        if row.factories_assessed >= 5:
            assert figures[f"{row.cluster}.factories_assessed"] == str(row.factories_assessed)
            assert figures[f"{row.cluster}.non_compliance_rate"] == f"{row.non_compliance_rate:.0%}"


# -- rendering ----------------------------------------------------------------------------


def test_free_text_is_escaped_in_briefs_and_reports(sqlite_store: Store, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    lines = [
        f'Vietnam,1,VN900,"Mill {evil}",900,01/03/2024,NCQ,Paid?,W1,'
        "Minimum Wages/Piece Rate Wages,Compensation,1,",
    ]
    import_file(sqlite_store, "assessments", write_csv(tmp_path / "evil.csv", lines))
    write_csv(
        tmp_path / "p.csv",
        [f'B9,"Brand {evil}",buyer,VN900,yes'],
        header="Partner.ID,Partner.Name,Partner.Type,Factory.ID,Consent",
    )
    import_file(sqlite_store, "partners", tmp_path / "p.csv")
    sqlite_store.save_plan_item(
        None,
        {
            "factory_id": "VN900",
            "source": "self-diagnosis",
            "compliance_point": "Paid Leave",
            "issue": evil,
            "action": evil,
        },
        expected_version=None,
        actor="lan",
        on=dt.date(2024, 3, 5),
    )
    paths = render_brief(
        sqlite_store, "partner", "B9", "2024-01:2024-12", tmp_path, formats=("html",)
    )
    html = paths["html"].read_text(encoding="utf-8")
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    spec = tmp_path / "r.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "notebook": str(ROOT / "notebooks" / "factory_progress_report.ipynb"),
                "select": {"ids": ["VN900"]},
                "output": str(tmp_path / "r"),
                "formats": ["html"],
                "parameters": {"as_of": "2024-12-31"},
            }
        )
    )
    assert run(load_spec(spec), sqlite_store, workers=1).exit_status == 0
    report = (tmp_path / "r" / "VN900.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in report and "&lt;script&gt;alert(1)" in report


def test_free_text_and_quotes_are_text_in_every_piece_of_a_partner_brief(
    sqlite_store: Store, tmp_path: Path
) -> None:
    hostile = "<script>alert(1)</script> \"'&"
    quoted = hostile.replace('"', '""')  # as a CSV field holds it
    lines = [
        f'Vietnam,1,VN900,"Mill {quoted}",900,01/03/2024,NCQ,"Paid {quoted}?",W1,'
        "Minimum Wages/Piece Rate Wages,Compensation,1,Public Disclosure",
    ]
    import_file(sqlite_store, "assessments", write_csv(tmp_path / "evil.csv", lines))
    write_csv(
        tmp_path / "p.csv",
        [f'B9,"Brand {quoted}",buyer,VN900,yes'],
        header="Partner.ID,Partner.Name,Partner.Type,Factory.ID,Consent",
    )
    import_file(sqlite_store, "partners", tmp_path / "p.csv")
    brief = partner.partner_brief(sqlite_store, "B9", "2024-01:2024-12")
    html = partner.summary_html(brief) + partner.factory_html(brief.reports[0], "en", brief)
    html += section(hostile, para(hostile), heading(hostile), note=hostile)
    html += charts.legend([hostile])
    assert "<script" not in html
    parser = Figures()
    parser.feed(html)
    text = "".join(parser.text)
    assert parser.figures["VN900.factory_name"] == f"Mill {hostile}"
    assert f"Mill {hostile} (VN900)" in text and f"Paid {hostile}?" in text
    # the factory in the summary's two tables and its page's title, the question, the
    # section's title, note, paragraph and heading, the legend: each once, as text
    assert text.count(hostile) == 9


def test_html_is_self_contained_and_pdf_has_pages_text_and_charts(
    demo: Store, tmp_path: Path
) -> None:
    pid = demo.partners_frame().query("partner_type == 'buyer'")["partner_id"].iloc[0]
    paths = render_brief(demo, "partner", pid, PERIOD, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "@import" not in html and "<svg" in html
    assert "Data" in html and demo.snapshot_id().split("-")[0] in html  # provenance footer
    text = subprocess.run(
        ["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    name = demo.partner(pid)["partner_name"]
    assert "Partner brief" in text and name in text and "Improvement Plan" in text
    info = subprocess.run(["pdfinfo", str(paths["pdf"])], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "6",
            str(paths["pdf"]),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    import matplotlib.image

    # Orange is the chart's "previous assessment" series; only bars (and a legend key) use it.
    orange = 0
    for page in tmp_path.glob("page*.png"):
        px = matplotlib.image.imread(page)
        orange += int(
            ((abs(px[..., 0] - 0xE0 / 255) < 0.06) & (abs(px[..., 1] - 0x7B / 255) < 0.06)).sum()
        )
    assert orange > 300
