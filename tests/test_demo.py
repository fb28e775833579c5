"""The demo portfolio: deterministic per seed and shaped like the programme's published figures."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bwcases.analysis.metrics import Window
from bwcases.analysis.queries import progress, rates
from bwcases.core.catalogue import COMPLIANCE_POINTS, PUBLIC_DISCLOSURE
from bwcases.core.domain import Status, Verification, VisitKind
from bwcases.core.errors import NotFoundError, UsageError
from bwcases.io.demo import AS_OF, COUNTRIES, CPS, MAX_ITEMS, USUAL_RATES, fill_demo
from bwcases.store import Store
from tests.helpers import DEMO_FACTORIES, DEMO_SEED

FACTORIES, SEED = DEMO_FACTORIES, DEMO_SEED
ALL_TIME = Window.months("2019-01", "2026-11")


@pytest.fixture
def demo(demo_on_backend: Store) -> Store:
    """The shared demo portfolio on the backend under test (read only)."""
    return demo_on_backend


@pytest.fixture
def demo_own(store: Store) -> Store:
    """A demo portfolio of the test's own on the backend under test, for tests that write."""
    fill_demo(store, factories=FACTORIES, seed=SEED)
    return store


def _sqlite_copy(template: Path, path: Path) -> Store:
    shutil.copy(template, path)
    return Store(f"sqlite:///{path}")


def _contents(store: Store) -> dict[str, pd.DataFrame]:
    """Everything a portfolio holds, except when it was written."""
    return {
        "factories": store.factories_frame(),
        "findings": store.findings_frame(),
        "partners": store.partners_frame(),
        "plan_items": store.plan_items_frame().drop(columns=["updated_at"]),
        "progress_updates": store.progress_updates_frame(),
        "visits": store.visits_frame().sort_values("id", ignore_index=True),
    }


def _pooled(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Non-compliance rates over all countries together."""
    sums = frame.groupby(by)[["factories_non_compliant", "factories_assessed"]].sum()
    return sums["factories_non_compliant"] / sums["factories_assessed"]


def test_the_same_seed_gives_the_same_portfolio(
    demo: Store, sqlite_template: Path, tmp_path: Path
) -> None:
    twin = _sqlite_copy(sqlite_template, tmp_path / "twin.sqlite")
    other = _sqlite_copy(sqlite_template, tmp_path / "other.sqlite")
    try:
        fill_demo(twin, factories=FACTORIES, seed=SEED)
        fill_demo(other, factories=FACTORIES, seed=SEED + 1)
        mine, same, different = _contents(demo), _contents(twin), _contents(other)
    finally:
        twin.dispose()
        other.dispose()
    assert len(mine["findings"]) > 40_000
    for name, frame in mine.items():
        pd.testing.assert_frame_equal(frame, same[name], obj=name)
    assert not mine["findings"].equals(different["findings"])
    assert not mine["plan_items"].equals(different["plan_items"])


def test_rates_look_like_the_published_figures(demo: Store) -> None:
    latest = rates(demo, "latest", window=ALL_TIME).set_index(["country", "compliance_point"])
    rate = latest["non_compliance_rate"]
    assert rate[("Vietnam", "Paid Leave")] > 0.6
    assert rate[("Cambodia", "Overtime")] > 0.7
    pooled = _pooled(latest.reset_index(), ["cluster", "compliance_point"])
    for cp in ("Child Labourers", "Hazardous Work and other Worst Forms", "Bonded Labour"):
        assert pooled.xs(cp, level="compliance_point").iloc[0] < 0.1, cp
    osh = pooled.xs("Occupational Safety and Health", level="cluster")
    assert osh.drop(["Welfare Facilities", "Worker Accommodation"]).min() > 0.5
    question = rates(demo, "latest", window=ALL_TIME, level="question")
    assert question["non_compliance_rate"].mean() < pooled.mean()  # questions are rarer than CPs


def test_rates_fall_with_each_cycle_on_a_balanced_panel(demo: Store) -> None:
    panel = rates(demo, "panel", cycle=3)
    assert panel.groupby("cycle")["factories_assessed"].sum().nunique() == 1  # balanced
    by_cycle = _pooled(panel, ["cycle"])
    assert by_cycle[1] > by_cycle[2] > by_cycle[3]


def test_every_factory_has_yearly_assessments_of_cycles_one_to_k(demo: Store) -> None:
    register = demo.factories_frame()
    assert len(register) == FACTORIES
    assert set(register["country"]) == {c.name for c in COUNTRIES}
    codes = {c.name: c.code for c in COUNTRIES}
    advisors = {c.name: set(c.advisors) for c in COUNTRIES}
    for rec in register.itertuples():
        assert re.fullmatch(codes[rec.country] + r"\d{4}", rec.factory_id)
        assert 200 <= rec.workers <= 8000
        assert rec.advisor in advisors[rec.country]
        assert (rec.status == "obsolete") == ("(Obsolete)" in rec.factory_name)
    assessments = demo.assessments_frame()
    cycles = assessments.groupby("factory_id")["cycle"].agg(list)
    assert set(cycles.index) == set(register["factory_id"])
    assert all(c == list(range(1, len(c) + 1)) and len(c) <= 6 for c in cycles)
    in_time = assessments.sort_values("quest_id")["start_date"]
    assert in_time.is_monotonic_increasing
    assert in_time.min() >= pd.Timestamp("2019-01-01")
    assert in_time.max() <= pd.Timestamp(AS_OF)
    assert assessments["start_date"].dt.year.nunique() >= 6


def test_every_assessment_answers_its_countrys_questions(demo: Store) -> None:
    findings = demo.findings_frame()
    asked = findings.groupby(["country", "quest_id"])["question_id"].agg(frozenset)
    assert asked.groupby("country").nunique().max() == 1
    questions = findings.drop_duplicates("question_id")
    assert 240 <= len(questions) <= 260
    ncq = questions[questions["question_type"] == "NCQ"]
    assert (ncq["tags"] == PUBLIC_DISCLOSURE).sum() == 27
    assert set(ncq["compliance_point"]) - {"Hazardous Work"} <= set(CPS)
    assert (questions["question_type"] == "FGW").sum() == 15
    fgw = findings[findings["question_type"] == "FGW"]
    assert fgw["finding"].isna().all() and fgw["fact"].notna().all()
    workers = fgw[fgw["question_label"] == "How many workers does the factory employ?"]
    assert workers["fact"].astype(int).between(50, 20_000).all()
    assert findings.loc[findings["question_type"] == "NCQ", "finding"].isin([0, 1]).all()


def test_older_assessments_keep_the_older_cats_spellings(sqlite_store: Store) -> None:
    fill_demo(sqlite_store, factories=150, seed=SEED)
    findings = sqlite_store.findings_frame(ncq_only=True)
    old = findings.groupby("quest_id")["cluster"].agg(lambda c: "Systems" in set(c))
    assert 0 < old.mean() < 0.1  # a small share of the assessments
    hazardous = findings.loc[findings["quest_id"].isin(old[old].index), "compliance_point"]
    assert "Hazardous Work" in set(hazardous)
    assert (
        not findings.loc[~findings["quest_id"].isin(old[old].index), "cluster"].eq("Systems").any()
    )
    cluster = rates(sqlite_store, "latest", window=ALL_TIME, level="cluster")
    assert set(cluster["cluster"]) <= set(COMPLIANCE_POINTS)


def test_partners_are_buyers_with_mixed_consent_and_one_pac_per_country(demo: Store) -> None:
    partners = demo.partners_frame()
    register = demo.factories_frame()
    active = register[register["status"] == "active"]
    buyers = partners[partners["partner_type"] == "buyer"]
    assert buyers["partner_id"].nunique() == round(FACTORIES / 25)
    assert buyers.groupby("partner_id").size().between(5, 40).all()
    assert 0 < buyers["consent"].mean() < 1
    assert set(buyers["factory_id"]) <= set(active["factory_id"])
    first = buyers["partner_id"].iloc[0]
    consented = buyers[(buyers["partner_id"] == first) & buyers["consent"]]["factory_id"]
    assert demo.consented_factories(first) == sorted(consented)
    pacs = partners[partners["partner_type"] == "governance"]
    for country in COUNTRIES:
        links = pacs[pacs["partner_id"] == f"PAC-{country.code}"]
        assert set(links["partner_name"]) == {f"{country.name} Project Advisory Committee"}
        assert links["consent"].all()
        assert set(links["factory_id"]) == set(
            active.loc[active["country"] == country.name, "factory_id"]
        )


def test_plan_items_follow_the_latest_assessments_findings(demo: Store) -> None:
    items = demo.plan_items_frame()
    assessments = demo.assessments_frame().sort_values("quest_id")
    latest = assessments.groupby("factory_id").tail(1).set_index("factory_id")
    found = demo.findings_frame(ncq_only=True).query("finding == 1")
    found_keys = set(zip(found["quest_id"], found["question_id"], strict=True))
    from_findings = items[items["source"] == "finding"]
    assert len(from_findings) > 20 * FACTORIES / 2
    assert (from_findings["quest_id"] == from_findings["factory_id"].map(latest["quest_id"])).all()
    pairs = zip(from_findings["quest_id"].astype(int), from_findings["question_id"], strict=True)
    assert set(pairs) <= found_keys
    assert from_findings.groupby("factory_id").size().max() <= MAX_ITEMS
    diagnosed = items[items["source"] == "self-diagnosis"]
    assert len(diagnosed) and diagnosed["quest_id"].isna().all()
    opened = pd.to_datetime(items["opened_on"])
    started = items["factory_id"].map(latest["start_date"])
    assert (opened > started).all() and (opened <= pd.Timestamp(AS_OF)).all()
    assert set(items["status"]) == {s.value for s in Status}
    assert set(items["priority"]) == {"High", "Medium", "Low"}
    done = items["status"] == Status.COMPLETED.value
    assert (pd.to_datetime(items.loc[done, "completed_on"]) >= opened[done]).all()
    assert items.loc[~done, "completed_on"].isna().all()
    overdue = ~done & (pd.to_datetime(items["due_date"]) < pd.Timestamp(AS_OF))
    assert overdue.sum() > 0 and done.sum() > 0
    public = items["question_id"].isin(found.loc[found["tags"] == PUBLIC_DISCLOSURE, "question_id"])
    verification = items.loc[done & public, "verification"]
    assert set(verification) == {Verification.AWAITING.value, Verification.VERIFIED.value}
    assert items.loc[~(done & public), "verification"].isna().all()
    summary = progress(demo, as_of=AS_OF)
    assert summary["overdue"].sum() == overdue.sum()
    assert summary["completed"].sum() == done.sum()


def test_progress_updates_tell_each_items_story(demo: Store) -> None:
    items = demo.plan_items_frame().set_index("item_id")
    updates = demo.progress_updates_frame()
    assert (updates["date"] <= AS_OF).all()
    moves = updates[updates["old_status"] != updates["new_status"]]
    last = moves.groupby("item_id").tail(1).set_index("item_id")
    moved = items.loc[last.index]
    assert (last["new_status"] == moved["status"]).all()
    assert (last["date"] >= moved["opened_on"]).all()
    done = last[last["new_status"] == Status.COMPLETED.value]
    assert (done["date"] == items.loc[done.index, "completed_on"]).all()
    never_moved = items.index.difference(last.index)
    assert (items.loc[never_moved, "status"] == Status.PENDING.value).all()
    assert set(moves["old_status"] + ">" + moves["new_status"]) == {
        "Pending>In Progress",
        "In Progress>Completed",
    }
    register = demo.factories_frame().set_index("factory_id")
    assert (updates["author"] == updates["factory_id"].map(register["advisor"])).all()


def test_visits_and_picc_meetings_fill_each_case(demo: Store) -> None:
    visits = demo.visits_frame()
    register = demo.factories_frame().set_index("factory_id")
    assert set(visits["kind"]) == {k.value for k in VisitKind}
    assert (visits["date"] <= AS_OF).all()
    advisors = visits["factory_id"].map(register["advisor"])
    assert all(a in people for a, people in zip(advisors, visits["attendees"], strict=True))
    per_factory = visits.groupby("factory_id").size()
    assert per_factory.median() >= 10
    assert visits["topics"].str.startswith("Improvement Plan: ").any()


def test_each_bulk_load_is_one_audit_entry(demo: Store) -> None:
    for table in ("findings", "factories", "plan_items", "visits"):
        trail = demo.history(table, "demo-data")
        assert list(trail["action"]) == ["import"], table
        assert list(trail["actor"]) == ["demo-data"], table


def test_records_added_after_the_demo_get_fresh_ids(demo_own: Store) -> None:
    demo = demo_own
    last_item, last_visit = (
        demo.plan_items_frame()["item_id"].max(),
        demo.visits_frame()["id"].max(),
    )
    item, _version = demo.save_plan_item(
        None,
        {
            "factory_id": "VN0001",
            "source": "self-diagnosis",
            "compliance_point": "Emergency Preparedness",
            "issue": "Exit blocked by boxes",
        },
        expected_version=None,
        actor="lan",
        on=dt.date(2026, 11, 26),
    )
    assert item > last_item
    visit = demo.add_visit(
        {"factory_id": "VN0001", "date": AS_OF, "kind": VisitKind.ADVISORY_VISIT.value},
        actor="lan",
    )
    assert visit > last_visit


def test_demo_data_goes_only_into_an_empty_store(demo: Store) -> None:
    before = demo.snapshot_id()
    with pytest.raises(UsageError, match="already holds 60 factories"):
        fill_demo(demo, factories=10)
    assert demo.snapshot_id() == before


def test_bulk_loads_refuse_unknown_factories_and_write_nothing(store: Store) -> None:
    visits = pd.DataFrame(
        [
            {
                "factory_id": "XX0001",
                "date": AS_OF,
                "kind": VisitKind.PICC_MEETING.value,
                "attendees": "",
                "topics": "",
                "follow_ups": "",
            }
        ]
    )
    with pytest.raises(NotFoundError, match="XX0001"):
        store.bulk_add_visits(visits, "lan", "test")
    assert store.visits_frame().empty
    assert store.history("visits", "test").empty


def test_country_tables_name_real_compliance_points() -> None:
    assert set(USUAL_RATES) == set(CPS)
    for country in COUNTRIES:
        assert set(country.rates) <= set(CPS), country.name
        assert all(0 < r < 1 for r in country.rates.values())
    assert sum(c.factories for c in COUNTRIES) == 2000
