"""The CAT catalogue: clusters and compliance points, and the programme's merges for rates."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from bwcases.core.errors import UsageError


class QuestionType(StrEnum):
    """NCQ questions carry a finding; FGW questions gather facts and never count in rates."""

    NCQ = "NCQ"
    FGW = "FGW"


PUBLIC_DISCLOSURE = "Public Disclosure"

CORE_LABOUR_STANDARDS = (
    "Child Labour",
    "Discrimination",
    "Forced Labour",
    "Freedom of Association and Collective Bargaining",
)
NATIONAL_LAW = (
    "Compensation",
    "Contracts and Human Resources",
    "Occupational Safety and Health",
    "Working Time",
)
CLUSTERS: tuple[str, ...] = CORE_LABOUR_STANDARDS + NATIONAL_LAW

COMPLIANCE_POINTS: dict[str, tuple[str, ...]] = {
    "Child Labour": (
        "Child Labourers",
        "Hazardous Work and other Worst Forms",
        "Unconditional Worst Forms",
        "Documentation and Protection of Young Workers",
    ),
    "Discrimination": (
        "Gender",
        "Race and Origin",
        "Religion and Political Opinion",
        "Other Grounds",
    ),
    "Forced Labour": (
        "Coercion",
        "Bonded Labour",
        "Prison Labour",
        "Forced Labour and Overtime",
    ),
    "Freedom of Association and Collective Bargaining": (
        "Freedom to Associate",
        "Union Operations",
        "Interference and Discrimination",
        "Collective Bargaining",
        "Strikes",
    ),
    "Compensation": (
        "Minimum Wages/Piece Rate Wages",
        "Overtime Wages",
        "Premium Pay",
        "Method of Payment",
        "Wage Information, Use and Deduction",
        "Paid Leave",
        "Social Security and Other Benefits",
    ),
    "Contracts and Human Resources": (
        "Contracting Procedures",
        "Employment Contracts",
        "Termination",
        "Dialogue, Discipline and Disputes",
    ),
    "Occupational Safety and Health": (
        "OSH Management Systems",
        "Chemicals and Hazardous Substances",
        "Worker Protection",
        "Working Environment",
        "Health Services and First Aid",
        "Welfare Facilities",
        "Worker Accommodation",
        "Emergency Preparedness",
    ),
    "Working Time": ("Regular Hours", "Overtime", "Leave"),
}

# The countries the programme works in, as the factory register and the exports spell them,
# with their ISO 3166-1 alpha-2 codes (`--country VN` means Vietnam).
COUNTRY_CODES = {
    "Bangladesh": "BD",
    "Cambodia": "KH",
    "Egypt": "EG",
    "Ethiopia": "ET",
    "Haiti": "HT",
    "Indonesia": "ID",
    "Jordan": "JO",
    "Madagascar": "MG",
    "Nicaragua": "NI",
    "Pakistan": "PK",
    "Sri Lanka": "LK",
    "Uzbekistan": "UZ",
    "Vietnam": "VN",
}
COUNTRIES = tuple(COUNTRY_CODES)

# Every country together (`--country all`): the country column of pooled rows.
ALL_COUNTRIES = "All countries"

# Names older exports use for a cluster and a CP: shown as stored, counted as merged below.
OLDER_CLUSTERS = ("Systems",)
OLDER_COMPLIANCE_POINTS = ("Hazardous Work",)

# Older exports file OSH questions under a cluster called "Systems".
CLUSTER_MERGES = {"systems": "Occupational Safety and Health"}

# The programme counts these three CPs as one in rates.
MERGED_HAZARDOUS_CP = "Hazardous Work and other Worst Forms"
CP_MERGES = {
    "hazardous work": MERGED_HAZARDOUS_CP,
    "hazardous work and other worst forms": MERGED_HAZARDOUS_CP,
    "unconditional worst forms": MERGED_HAZARDOUS_CP,
}

OBSOLETE_MARK = "(Obsolete)"

_SPACES = re.compile(r"\s+")


def _key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def canonical_cluster(name: str) -> str:
    """The cluster a name counts as in rates (Systems counts as OSH)."""
    cleaned = _SPACES.sub(" ", name).strip()
    return CLUSTER_MERGES.get(cleaned.casefold(), cleaned)


def canonical_compliance_point(name: str) -> str:
    """The compliance point a name counts as in rates (hazardous-work variants are one)."""
    cleaned = _SPACES.sub(" ", name).strip()
    return CP_MERGES.get(cleaned.casefold(), cleaned)


def split_tags(tags: str | None) -> list[str]:
    """The separate tags of an export's Tags value (separated by ';', ',' or '|')."""
    if not tags:
        return []
    return [t.strip() for t in re.split(r"[;,|]", tags) if t.strip()]


def is_public_disclosure(tags: str | None) -> bool:
    """Whether a Tags value contains the Public Disclosure tag."""
    return any(_key(t) == _key(PUBLIC_DISCLOSURE) for t in split_tags(tags))


def _country_key(name: str) -> str:
    # "Viet Nam", "VIETNAM" and "vietnam" are one country; so are "Sri Lanka" and "srilanka"
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def country_named(text: str, known: Iterable[str] = (), what: str = "--country") -> str:
    """The country a name or ISO code means, in any case, spelt as `known` (a store's countries)
    or else the catalogue spells it; ALL_COUNTRIES for "all"."""
    key = _country_key(text)
    if key in (_country_key("all"), _country_key(ALL_COUNTRIES)):
        return ALL_COUNTRIES
    by_code = {code.casefold(): name for name, code in COUNTRY_CODES.items()}
    wanted = _country_key(by_code.get(key, text))
    names = list(dict.fromkeys([*known, *COUNTRIES]))  # a store's own spelling first
    for name in names:
        if _country_key(name) == wanted:
            return name
    listed = ", ".join(
        f"{name} ({COUNTRY_CODES[name]})" if name in COUNTRY_CODES else name
        for name in sorted(names, key=_country_key)
    )
    raise UsageError(f"{what} {text!r} is not a country bwcases knows: {listed}")


def is_obsolete(factory_name: str | None) -> bool:
    """Whether a factory name marks a retired record."""
    return bool(factory_name) and OBSOLETE_MARK.casefold() in str(factory_name).casefold()


def catalogue_order(cluster: str, compliance_point: str) -> tuple[int, int, str, str]:
    """A sort key putting clusters and their CPs in the catalogue's order (others after)."""
    points = COMPLIANCE_POINTS.get(cluster, ())
    return (
        CLUSTERS.index(cluster) if cluster in CLUSTERS else len(CLUSTERS),
        points.index(compliance_point) if compliance_point in points else len(points),
        cluster,
        compliance_point,
    )
