"""The catalogue's names: countries by any spelling a person types."""

from __future__ import annotations

import pytest

from bwcases.core.catalogue import ALL_COUNTRIES, COUNTRIES, COUNTRY_CODES, country_named
from bwcases.core.errors import UsageError


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Vietnam", "Vietnam"),
        ("vietnam", "Vietnam"),
        ("VIETNAM", "Vietnam"),
        ("Viet Nam", "Vietnam"),
        ("VN", "Vietnam"),
        ("vn", "Vietnam"),
        (" kh ", "Cambodia"),
        ("sri lanka", "Sri Lanka"),
        ("SriLanka", "Sri Lanka"),
        ("LK", "Sri Lanka"),
        ("id", "Indonesia"),
        ("all", ALL_COUNTRIES),
        ("ALL", ALL_COUNTRIES),
        ("all countries", ALL_COUNTRIES),
    ],
)
def test_a_country_is_named_in_any_case_or_by_its_iso_code(typed: str, meant: str) -> None:
    assert country_named(typed) == meant


def test_every_programme_country_has_its_own_iso_code() -> None:
    assert set(COUNTRY_CODES) == set(COUNTRIES)
    codes = list(COUNTRY_CODES.values())
    assert len(set(codes)) == len(codes) and all(len(c) == 2 and c.isupper() for c in codes)


def test_a_stores_own_spelling_is_kept() -> None:
    # a register that spells it "Viet Nam" is filtered on "Viet Nam", whatever she typed
    assert country_named("VN", ["Viet Nam", "Cambodia"]) == "Viet Nam"
    assert country_named("vietnam", ["Viet Nam"]) == "Viet Nam"
    assert country_named("myanmar", ["Myanmar"]) == "Myanmar"  # a country the catalogue lacks


@pytest.mark.parametrize("typed", ["Narnia", "V", "", "Vietnam2", "XX"])
def test_an_unknown_country_is_refused_with_the_known_ones(typed: str) -> None:
    with pytest.raises(UsageError) as caught:
        country_named(typed, ["Myanmar"])
    message = str(caught.value)
    assert message.startswith(f"--country {typed!r} is not a country bwcases knows: ")
    assert "Vietnam (VN)" in message and "Cambodia (KH)" in message and "Myanmar" in message
