"""What a brief may be about: a buyer, or a country with factories (checked before a kernel runs).

Apart from the briefs themselves so that `bwcases brief` checks its subject without importing
pandas, matplotlib and the report code: only the brief's kernel needs those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bwcases.core import catalogue
from bwcases.core.domain import PartnerType
from bwcases.core.errors import UsageError

if TYPE_CHECKING:
    from bwcases.store import Store


def require_buyer(store: Store, partner_id: str) -> dict[str, Any]:
    """The partner, if it is a buyer; a governance body never reads one factory's figures."""
    partner = store.partner(partner_id)
    if partner["partner_type"] != PartnerType.BUYER.value:
        raise UsageError(
            f"{partner_id} is a governance body: it reads the country brief "
            "(bwcases brief governance COUNTRY), never one factory's figures"
        )
    return partner


def require_country(store: Store, country: str) -> str:
    """The country a name or ISO code means, as the store spells it; refused when the store
    has no factories there."""
    country = catalogue.country_named(country, store.countries(), what="country")
    if country == catalogue.ALL_COUNTRIES or store.factories_frame(country=country).empty:
        raise UsageError(f"no factories in {country!r} in the store")
    return country
