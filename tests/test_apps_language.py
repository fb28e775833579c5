"""The apps in every reader's language: her choice kept, the domain's names translated, and
names and codes set apart inside right-to-left sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwcases.apps import CaseTimeline
from bwcases.apps.overview import case_overview
from bwcases.store import Store
from tests.helpers import fill_advisor_case, open_app


@pytest.fixture
def people(store: Store, tmp_path: Path) -> Store:
    return fill_advisor_case(store, tmp_path)


def test_the_language_she_picks_is_kept_for_her_next_page(people: Store) -> None:
    app = open_app(CaseTimeline, people, "Lan Nguyen", "VN001")
    app.language.value = "vi"
    assert people.language_of("Lan Nguyen") == "vi"
    assert "Dòng thời gian hồ sơ" in app.heading.value  # the page switched first
    app.language.value = "ar"
    assert people.language_of("Lan Nguyen") == "ar" and people.language_of("Minh Tran") is None


def test_an_analyst_s_notebook_keeps_no_language(people: Store) -> None:
    app = case_overview(people, "VN001")  # nobody signed in: an analyst's overview
    app.language.value = "km"
    assert "bw-lang-km" in app._dom_classes
    assert people.users_frame()["name"].map(people.language_of).isna().all()
