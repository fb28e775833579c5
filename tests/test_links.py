"""The apps' addresses: one builder for a page and for a plan item, in a page and in a mail."""

from __future__ import annotations

import pytest

from bwcases.core.i18n import translator
from bwcases.core.links import item_name, item_url, page_url


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("/", "/voila/render/work_queue.ipynb?lang=vi"),
        ("/cases/", "/cases/voila/render/work_queue.ipynb?lang=vi"),
        (
            "https://cases.example.org",
            "https://cases.example.org/voila/render/work_queue.ipynb?lang=vi",
        ),
    ],
)
def test_a_page_sits_under_its_sites_root_with_or_without_the_slash(
    base: str, expected: str
) -> None:
    assert page_url(base, "work_queue.ipynb", lang="vi") == expected


def test_an_item_opens_in_the_tracker_and_a_new_one_opens_its_factorys_plan() -> None:
    assert item_url("/", "VN001", 12, "en", show="overdue") == (
        "/voila/render/remediation_tracker.ipynb?factory=VN001&item=12&show=overdue&lang=en"
    )
    assert item_url("/", "VN 001&x", None, "en") == (
        "/voila/render/remediation_tracker.ipynb?factory=VN+001%26x&lang=en"
    )


def test_an_item_without_an_issue_is_named_by_its_number_in_her_language() -> None:
    assert item_name(7, translator("en")) == "Plan item #7"
    assert item_name(7, translator("vi")) != "Plan item #7"
