"""Signing in leads to the apps in the language she chose last, unless the sign-in page was
asked for in one."""

from __future__ import annotations

import pytest

from bwcases.web.signin import LoginHandler
from tests.test_signin import page_of


@pytest.mark.parametrize(
    ("uri", "next_page"),
    [
        # asked in no language: her page takes the one she chose last (else her browser's)
        ("/login", "/voila/render/improvement_plan.ipynb"),
        ("/login?lang=km", "/voila/render/improvement_plan.ipynb?lang=km"),
        ("/login?lang=fr", "/voila/render/improvement_plan.ipynb?lang=en"),  # not offered
        ("/login?next=/voila/render/x.ipynb", "/voila/render/x.ipynb"),  # hers, as it was
    ],
)
def test_sign_in_leads_on_in_the_asked_language_or_leaves_the_choice_to_the_app(
    uri: str, next_page: str
) -> None:
    handler, sent = page_of(LoginHandler, uri)
    handler._render()
    assert f'name="next" value="{next_page}"' in sent[0]
