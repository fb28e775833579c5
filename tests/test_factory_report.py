"""Factory reports read together: each equals the factory's own report, and a partner brief made
from them reads as one made factory by factory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bwcases.analysis.metrics import Window
from bwcases.core.errors import NotFoundError
from bwcases.reports import partner
from bwcases.reports.factory import FactoryReport, factory_report, factory_reports, report_html
from bwcases.store import Store
from tests.helpers import fill_case

D = dt.date
PERIOD = "2024-01:2026-06"
FRAMES = (
    "assessments",
    "by_cluster",
    "by_cp",
    "persistent",
    "public_disclosure",
    "plan",
    "visits",
)


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows, its missing values all None (a factory read with others may hold them
    as NaN where, read alone, its column is all None)."""
    out = frame.astype(object)
    return out.where(out.notna(), None).to_dict("records")


def assert_same(together: FactoryReport, alone: FactoryReport) -> None:
    fid = alone.factory["factory_id"]
    assert together.figures == alone.figures, fid
    assert (together.latest, together.previous) == (alone.latest, alone.previous), fid
    assert together.as_of == alone.as_of and together.lang == alone.lang
    assert rows(pd.DataFrame([together.factory])) == rows(pd.DataFrame([alone.factory])), fid
    for name in FRAMES:
        mine, theirs = getattr(together, name), getattr(alone, name)
        assert list(mine.columns) == list(theirs.columns), (fid, name)
        assert rows(mine) == rows(theirs), (fid, name)


def reports_alone(store: Store, ids: list[str], **options: Any) -> list[FactoryReport]:
    return [factory_report(store, fid, **options) for fid in ids]


WINDOW = Window.parse(PERIOD)
DEMO_OPTIONS = [
    pytest.param({"as_of": WINDOW.end, "window": WINDOW}, id="partner-brief"),
    pytest.param({"as_of": D(2026, 6, 30)}, id="as-of"),
]


@pytest.mark.parametrize("options", DEMO_OPTIONS)
def test_each_of_the_demo_factories_read_together_reads_as_alone(
    demo_on_backend: Store, options: dict[str, Any]
) -> None:
    register = demo_on_backend.factories_frame()
    ids = sorted(register["factory_id"])
    together = factory_reports(demo_on_backend, ids, **options)
    assert [r.factory["factory_id"] for r in together] == ids
    for mine, alone in zip(together, reports_alone(demo_on_backend, ids, **options), strict=True):
        assert_same(mine, alone)
    # the demo holds what the comparison is about: unassessed, retired, planless factories
    figures = pd.DataFrame([r.figures for r in together])
    assert figures["quest_id"].isna().any() and figures["quest_id"].notna().any()
    assert (figures["plan_items"] == 0).any() and (figures["plan_items"] > 0).any()
    assert figures["persistent_questions"].sum() > 0


def test_the_case_factories_read_together_read_as_alone(store: Store, tmp_path: Path) -> None:
    # VN001: three assessments and three items (one completed on 1 July 2024); VN002: known only
    # under its retired "(Obsolete)" name, no plan; KH001: one assessment (June 2023), one item
    fill_case(store, tmp_path)
    ids = ["VN002", "KH001", "VN001"]  # the order asked for is the order given
    for as_of in (D(2023, 4, 1), D(2023, 12, 31), D(2024, 6, 1), D(2024, 7, 15), D(2025, 1, 1)):
        for options in ({}, {"cycle": 2}, {"window": "2023-01:2023-12"}):
            together = factory_reports(store, ids, as_of=as_of, **options)
            assert [r.factory["factory_id"] for r in together] == ids
            alone = reports_alone(store, ids, as_of=as_of, **options)
            for mine, theirs in zip(together, alone, strict=True):
                assert_same(mine, theirs)
        check_case(together, as_of)


def check_case(together: list[FactoryReport], as_of: dt.date) -> None:
    """What the case's factories show, read together (in a 2023 window)."""
    by_id = {r.factory["factory_id"]: r for r in together}
    assert by_id["VN002"].figures["plan_items"] == 0
    assert by_id["VN002"].figures["persistent_questions"] == 0
    if as_of < D(2023, 6, 10):
        assert by_id["KH001"].latest is None and by_id["KH001"].figures["cps_assessed"] == 0
    if as_of >= D(2023, 3, 15):  # 1001 in the window, 800 before it
        assert by_id["VN001"].latest == {"quest_id": 1001, "cycle": 2, "start_date": D(2023, 3, 15)}
        assert by_id["VN001"].previous is not None and by_id["VN001"].previous["quest_id"] == 800


def test_a_retired_factory_not_assessed_by_the_day_has_a_report_without_figures(
    store: Store, tmp_path: Path
) -> None:
    # VN002, known only as "Hanoi Knit (Obsolete)", was assessed on 2 May 2023: not yet on 1 April
    fill_case(store, tmp_path)
    report = factory_report(store, "VN002", as_of=D(2023, 4, 1))
    assert report.latest is None and report.previous is None
    assert report.figures["cps_assessed"] == 0 and report.by_cp.empty
    assert "No assessment in the period." in report_html(report)


def test_a_factory_missing_from_the_register_is_named(store: Store, tmp_path: Path) -> None:
    fill_case(store, tmp_path)
    with pytest.raises(NotFoundError, match="XX999"):
        factory_reports(store, ["VN001", "XX999"], as_of=D(2024, 12, 31))
    assert factory_reports(store, [], as_of=D(2024, 12, 31)) == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_partner_brief_reads_as_one_made_factory_by_factory(
    demo_on_backend: Store, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    buyers = demo_on_backend.partners_frame().query("partner_type == 'buyer'")
    for pid in sorted(buyers["partner_id"].unique())[:2]:
        brief = partner.partner_brief(demo_on_backend, pid, PERIOD, lang)
        with monkeypatch.context() as patch:  # the brief as it was made: one report at a time
            patch.setattr(partner, "factory_reports", reports_alone)
            before = partner.partner_brief(demo_on_backend, pid, PERIOD, lang)
        assert brief.figures == before.figures and brief.reports
        assert rows(brief.summary) == rows(before.summary)
        assert rows(brief.by_cluster) == rows(before.by_cluster)
        assert pages(brief) == pages(before), pid


def pages(brief: partner.PartnerBrief) -> list[str]:
    """The brief's HTML, as `partner.show` displays it."""
    return [
        partner.executive_html(brief),
        partner.summary_html(brief),
        *(partner.factory_html(r, brief.lang, brief) for r in brief.reports),
    ]


def test_a_report_read_together_keeps_no_other_factorys_rows(demo_on_backend: Store) -> None:
    ids = sorted(demo_on_backend.factories_frame()["factory_id"])
    for report in factory_reports(demo_on_backend, ids, as_of=D(2026, 6, 30)):
        fid = report.factory["factory_id"]
        for name in ("assessments", "plan", "visits"):
            frame = getattr(report, name)
            assert set(frame["factory_id"]) <= {fid}, (fid, name)
