"""FGW facts as numbers where they are numbers, with their unit."""

from __future__ import annotations

import re

# The currency each programme country's wages are paid in (ISO 4217): Cambodia's garment
# wages are set in US dollars.
CURRENCIES = {
    "Bangladesh": "BDT",
    "Cambodia": "USD",
    "Egypt": "EGP",
    "Ethiopia": "ETB",
    "Haiti": "HTG",
    "Indonesia": "IDR",
    "Jordan": "JOD",
    "Madagascar": "MGA",
    "Nicaragua": "NIO",
    "Pakistan": "PKR",
    "Sri Lanka": "LKR",
    "Uzbekistan": "UZS",
    "Vietnam": "VND",
}
LOCAL_CURRENCY = "local currency"

_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
# "How many [of the] N" or "... A N": the noun counted, never the word after it ("days of")
_LINK = r"(?:of|are|is|do|does|did|were|was|have|has|had|in|on|at|with|for|per|get|took)\b"
_HOW_MANY = re.compile(rf"^how many (?:of the )?(\w+)(?: (?!{_LINK})(\w+))?", re.IGNORECASE)


def fact_value(text: object) -> float | None:
    """The number a fact states ("1,250", " 58 ", "3.5"), or None when it is not one."""
    if text is None or text != text:  # None or NaN
        return None
    cleaned = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.fullmatch(cleaned):
        return None
    return float(cleaned.replace(",", ""))


def fact_unit(unit: str, question_label: str, country: str) -> str:
    """The unit of a question's numeric facts in a country: the map's (its local currency
    named), else what the wording says ("in hours", "How many workers ...")."""
    if unit:
        return unit.replace(LOCAL_CURRENCY, CURRENCIES.get(country, LOCAL_CURRENCY))
    label = question_label.casefold()
    if "in hours" in label:
        return "hours"
    if LOCAL_CURRENCY in label:
        return CURRENCIES.get(country, LOCAL_CURRENCY)
    found = _HOW_MANY.match(question_label.strip())
    return (found.group(2) or found.group(1)) if found else ""
