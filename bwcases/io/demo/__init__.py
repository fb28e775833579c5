"""A realistic synthetic Better Work portfolio: factories, assessments, partners and cases."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bwcases.core.catalogue import (
    COMPLIANCE_POINTS,
    CORE_LABOUR_STANDARDS,
    MERGED_HAZARDOUS_CP,
    PUBLIC_DISCLOSURE,
    QuestionType,
    canonical_compliance_point,
)
from bwcases.core.domain import ItemSource, PartnerType, Priority, Status, Verification, VisitKind
from bwcases.core.errors import UsageError
from bwcases.core.formats import QUESTION_SPELLING
from bwcases.io.demo.vocabulary import (
    ACTIONS,
    CLUSTER_OF,
    COUNTRIES,
    CPS,
    DORMITORIES,
    OSH,
    QUESTIONS,
    ROMAN,
    SELF_DIAGNOSIS,
    USUAL_RATES,
    WORDS,
    Country,
)
from bwcases.store import Store

AS_OF = dt.date(2026, 11, 26)  # the portfolio's "today": nothing in it happens later
FIRST_DAY = dt.date(2019, 1, 1)
ACTOR = "demo-data"
CHUNK_ROWS = 200_000
MAX_ITEMS = 25  # Improvement Plan items from findings, per factory
DECAY = 0.3  # each later cycle lowers the log-odds of non-compliance by this much
CYCLE_SHARES = (0.1, 0.13, 0.16, 0.18, 0.19, 0.24)  # of factories with 1, 2, ... 6 cycles
EFFECTS = (0.45, 0.45, 0.55)  # spread of a factory's own log-odds: overall, cluster, CP
CHUNK_COLUMNS = [
    "row",
    "country",
    "cycle",
    "factory_id",
    "factory_name",
    "quest_id",
    "start_date",
    "question_type",
    "question_label",
    "question_id",
    "compliance_point",
    "cluster",
    "finding",
    "tags",
    "fact",
]


# -- fact-gathering answers -----------------------------------------------------------------


@dataclass
class _Facts:
    """What the fact-gathering answers of a block of assessments are drawn from."""

    rng: np.random.Generator
    workers: np.ndarray
    women: np.ndarray
    migrants: np.ndarray
    wage: np.ndarray
    week: np.ndarray
    buildings: np.ndarray
    product: np.ndarray

    def uniform(self, low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, len(self.workers))


def _count(x: np.ndarray) -> np.ndarray:
    return np.round(x).astype(np.int64)


def _money(x: np.ndarray) -> np.ndarray:
    """Amounts rounded to three significant digits."""
    unit = 10.0 ** (np.floor(np.log10(x)) - 2)
    return _count(np.round(x / unit) * unit)


_FACT_DRAWS: dict[str, Callable[[_Facts], np.ndarray]] = {
    "workers": lambda f: _count(f.workers),
    "women": lambda f: _count(f.workers * f.women),
    "migrants": lambda f: _count(f.workers * f.migrants * f.uniform(0.6, 1.2)),
    "young": lambda f: f.rng.poisson(0.3, len(f.workers)),
    "fixed_term": lambda f: _count(f.workers * f.rng.beta(1.2, 3.0, len(f.workers))),
    "union": lambda f: _count(f.workers * f.uniform(0, 0.6) * (f.uniform(0, 1) < 0.5)),
    "agreement": lambda f: np.where(f.uniform(0, 1) < 0.3, "Yes", "No"),
    "wage": lambda f: _money(f.wage * f.uniform(1.0, 1.15)),
    "week": lambda f: _count(np.clip(f.week + f.rng.normal(0, 5, len(f.workers)), 48, 84)),
    "agency": lambda f: _count(f.workers * f.uniform(0, 0.1) * (f.uniform(0, 1) < 0.4)),
    "disabled": lambda f: f.rng.poisson(f.workers * 0.004),
    "buildings": lambda f: f.buildings,
    "product": lambda f: f.product,
    "accidents": lambda f: f.rng.poisson(f.workers / 500),
    "maternity": lambda f: f.rng.poisson(f.workers * f.women * 0.03),
}


# -- helpers --------------------------------------------------------------------------------


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _cycle_one(latest: float) -> float:
    """Cycle-1 log-odds at which factories, at their usual latest cycle, average `latest`."""
    target = 1 / (1 + math.exp(-latest))
    later = DECAY * sum(k * share for k, share in enumerate(CYCLE_SHARES))
    nodes, weights = np.polynomial.hermite_e.hermegauss(24)  # for expectations over N(0, 1)
    spread = math.hypot(*EFFECTS) * nodes
    low, high = -15.0, 15.0
    for _ in range(40):
        mid = (low + high) / 2
        mean = weights @ (1 / (1 + np.exp(-(mid - later + spread)))) / weights.sum()
        low, high = (mid, high) if mean < target else (low, mid)
    return (low + high) / 2


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Factories per country: one each when there are enough, the rest by weight."""
    floor = np.full(len(weights), 1 if total >= len(weights) else 0)
    share = weights / weights.sum() * (total - floor.sum())
    counts = np.floor(share).astype(int)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: total - floor.sum() - counts.sum()]] += 1
    return floor + counts


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _factory_names(rng: np.random.Generator, country: Country, n: int) -> list[str]:
    """Local-sounding names; a repeated name gets a numeral, as sister factories' names do."""
    leads, stems = _pick(rng, country.leads, n), _pick(rng, country.stems, n)
    suffixes = _pick(rng, country.suffixes, n)
    with_lead = rng.random(n) < country.lead_share
    seen: dict[str, int] = {}
    names = []
    for lead, stem, suffix, led in zip(leads, stems, suffixes, with_lead, strict=True):
        base = f"{lead} {stem}" if led else stem
        k = seen.get(f"{base} {suffix}", 0)
        seen[f"{base} {suffix}"] = k + 1
        numeral = "" if k == 0 else f" {ROMAN[k - 1]}" if k <= len(ROMAN) else f" {k + 1}"
        names.append(f"{base}{numeral} {suffix}")
    return names


def _where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values where the mask holds and None elsewhere, as an object array."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


# -- the portfolio --------------------------------------------------------------------------


class _Portfolio:
    """A synthetic portfolio, drawn part by part from one seeded random generator."""

    def __init__(self, factories: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.horizon = (AS_OF - FIRST_DAY).days
        # Day numbers (from FIRST_DAY) as dates, far enough ahead for due dates.
        self.days = np.array(
            [FIRST_DAY + dt.timedelta(days=d) for d in range(self.horizon + 400)], dtype=object
        )
        self.catalogue = self._catalogue()
        self.asked = self._asked()
        self.factories = self._factories(factories)
        self.assessments = self._assessments()
        self.odds = self._odds()
        self.shares = self._shares()
        self.effects = self._effects()
        self.found_latest: dict[int, np.ndarray] = {}  # factory -> questions found on its latest

    # -- the catalogue ---------------------------------------------------------------------

    def _catalogue(self) -> pd.DataFrame:
        """The questions, as the current CAT and then the older one spell them."""
        q = pd.DataFrame(QUESTIONS, columns=[*QUESTION_SPELLING, "fact_kind"])
        q["cp_index"] = q["compliance_point"].map({cp: i for i, cp in enumerate(CPS)})
        q["ncq"] = q["question_type"] == QuestionType.NCQ.value
        q["public_disclosure"] = q["tags"] == PUBLIC_DISCLOSURE
        # How often a question is the one found when its CP is non-compliant, and how often it
        # is found besides that one.
        q["weight"] = self.rng.lognormal(0.0, 0.7, len(q))
        q["share"] = self.rng.uniform(0.03, 0.25, len(q))
        self.cp_questions = [
            np.flatnonzero(q["ncq"] & (q["cp_index"] == j)) for j in range(len(CPS))
        ]
        old = q[QUESTION_SPELLING].copy()  # the older CAT's quirks
        old["cluster"] = old["cluster"].replace({OSH: "Systems"})
        old["compliance_point"] = old["compliance_point"].replace(
            {MERGED_HAZARDOUS_CP: "Hazardous Work"}
        )
        both = pd.concat([q[QUESTION_SPELLING], old], ignore_index=True)
        self.spellings = {c: both[c].to_numpy(object) for c in QUESTION_SPELLING}
        return q

    def _asked(self) -> np.ndarray:
        """Which questions each country's CAT asks (country x question)."""
        q = self.catalogue
        first = q.groupby("compliance_point").cumcount().to_numpy() == 0
        kept = first | q["public_disclosure"].to_numpy() | (q["fact_kind"] == "workers").to_numpy()
        asked = (self.rng.random((len(COUNTRIES), len(q))) >= 0.05) | kept
        dormitories = (q["compliance_point"] == "Worker Accommodation").to_numpy()
        for i, country in enumerate(COUNTRIES):
            if country.name not in DORMITORIES:
                asked[i, dormitories] = False
        self.asked_index = [np.flatnonzero(row) for row in asked]
        return asked

    # -- factories and assessments ---------------------------------------------------------

    def _factories(self, count: int) -> pd.DataFrame:
        sizes = _allocate(count, np.array([c.factories for c in COUNTRIES], dtype=float))
        parts = []
        for i, (country, n) in enumerate(zip(COUNTRIES, sizes, strict=True)):
            if n == 0:
                continue
            width = max(4, len(str(n)))
            workers = self.rng.lognormal(math.log(country.median_workers), 0.6, n)
            team = len(country.advisors)
            advisor = self.rng.integers(0, max(1, min(team, math.ceil(n / 30))), n)
            parts.append(
                pd.DataFrame(
                    {
                        "factory_id": [f"{country.code}{k:0{width}d}" for k in range(1, n + 1)],
                        "factory_name": _factory_names(self.rng, country, n),
                        "country_index": i,
                        "country": country.name,
                        "workers": np.clip(workers, 200, 8000).round().astype(int),
                        "advisor": [country.advisors[k] for k in advisor],
                        "colleague": [country.advisors[(k + 1) % team] for k in advisor],
                        "buildings": 1 + self.rng.poisson(1.0, n),
                        "product": _pick(self.rng, WORDS["products"], n),
                    }
                )
            )
        f = pd.concat(parts, ignore_index=True)
        f["obsolete"] = self.rng.random(len(f)) < 0.02
        f.loc[f["obsolete"], "factory_name"] += " (Obsolete)"
        return f

    def _assessments(self) -> pd.DataFrame:
        """Yearly assessments, cycles 1..k (k at most 6); Quest.ID grows with the start date."""
        n = len(self.factories)
        retired = self.factories["obsolete"].to_numpy()
        left = ~retired & (self.rng.random(n) < 0.15)  # left the programme a while ago
        # The day of each factory's last assessment: within the last year for most of them.
        last = self.horizon - self.rng.uniform(0, 365, n)
        last[left] = self.rng.uniform(540, self.horizon - 365, n)[left]
        last[retired] = self.rng.uniform(200, (dt.date(2024, 1, 1) - FIRST_DAY).days, n)[retired]
        k = 1 + self.rng.choice(len(CYCLE_SHARES), n, p=CYCLE_SHARES)
        gaps = self.rng.normal(365, 35, (n, 5)).clip(290, 460)
        before = np.concatenate([gaps[:, ::-1].cumsum(axis=1)[:, ::-1], np.zeros((n, 1))], axis=1)
        days = (last[:, None] - before).astype(int)  # six yearly slots ending at `last`
        valid = (np.arange(6) >= 6 - k[:, None]) & (days >= 0)
        factory, slot = np.nonzero(valid)
        day = days[factory, slot]
        cycle = slot - np.argmax(valid, axis=1)[factory] + 1
        country = self.factories["country_index"].to_numpy()[factory]
        rest_day = np.array([c.rest_day for c in COUNTRIES])[country]
        day = day - ((FIRST_DAY.weekday() + day) % 7 == rest_day)  # not on the weekly rest day
        quest = np.empty(len(day), dtype=np.int64)
        quest[np.lexsort((factory, day))] = 10_000 + np.cumsum(self.rng.integers(1, 4, len(day)))
        switch = self.rng.integers(60, 640, len(COUNTRIES))  # when each country left the old CAT
        frame = pd.DataFrame(
            {
                "quest_id": quest,
                "factory": factory,
                "country_index": country,
                "cycle": cycle,
                "day": day,
                "legacy": day < switch[country],
                "latest": slot == 5,
            }
        )
        return frame.sort_values("quest_id", ignore_index=True)

    # -- findings --------------------------------------------------------------------------

    def _odds(self) -> np.ndarray:
        """Cycle-1 log-odds of non-compliance, before factory effects (country x CP)."""
        odds = np.empty((len(COUNTRIES), len(CPS)))
        for i, country in enumerate(COUNTRIES):
            for j, cp in enumerate(CPS):
                own = country.rates.get(cp)
                usual = _logit(USUAL_RATES[cp]) + country.shift
                odds[i, j] = _cycle_one(_logit(own) if own is not None else usual)
        return odds

    def _shares(self) -> np.ndarray:
        """How often each question is found when its CP is non-compliant (country x question)."""
        shares = np.tile(self.catalogue["share"].to_numpy(), (len(COUNTRIES), 1))
        labels = self.catalogue["question_label"].tolist()
        for i, country in enumerate(COUNTRIES):
            for label, share in country.shares.items():
                shares[i, labels.index(label)] = share
        return shares

    def _effects(self) -> np.ndarray:
        """Each factory's own log-odds of non-compliance on each CP (factory x CP)."""
        n = len(self.factories)
        clusters = list(COMPLIANCE_POINTS)
        cluster = np.array([clusters.index(CLUSTER_OF[cp]) for cp in CPS])
        overall = self.rng.normal(0, EFFECTS[0], (n, 1))
        by_cluster = self.rng.normal(0, EFFECTS[1], (n, len(clusters)))[:, cluster]
        return overall + by_cluster + self.rng.normal(0, EFFECTS[2], (n, len(CPS)))

    def _found(self, block: pd.DataFrame) -> np.ndarray:
        """Which questions each assessment of a block finds non-compliant (assessment x NCQ)."""
        q = self.catalogue
        country, factory = block["country_index"].to_numpy(), block["factory"].to_numpy()
        later = DECAY * (block["cycle"].to_numpy() - 1)
        odds = self.odds[country] + self.effects[factory] - later[:, None]
        cp_found = self.rng.random(odds.shape) < 1 / (1 + np.exp(-odds))
        # A non-compliant CP has one question found, drawn by weight, and maybe others.
        keys = self.rng.exponential(size=(len(block), len(q))) / q["weight"].to_numpy()
        keys[~self.asked[country]] = np.inf
        found = self.rng.random(keys.shape) < self.shares[country]
        rows = np.arange(len(block))
        for cols in self.cp_questions:
            found[rows, cols[np.argmin(keys[:, cols], axis=1)]] = True
        asked = self.asked[country] & q["ncq"].to_numpy()
        return found & cp_found[:, q["cp_index"].to_numpy()] & asked

    def _facts(self, block: pd.DataFrame) -> np.ndarray:
        """The fact-gathering answers of a block (assessment x FGW question), as text."""
        f = self.factories.iloc[block["factory"].to_numpy()]
        country = [COUNTRIES[i] for i in block["country_index"]]
        n = len(block)
        year = FIRST_DAY.year + block["day"].to_numpy() / 365.25
        women = np.array([c.women for c in country]) + self.rng.normal(0, 0.07, n)
        facts = _Facts(
            self.rng,
            workers=np.maximum(50, f["workers"].to_numpy() * self.rng.lognormal(0, 0.08, n)),
            women=np.clip(women, 0.1, 0.97),
            migrants=np.array([c.migrants for c in country]),
            wage=np.array([c.wage for c in country]) * 1.06 ** (year - 2024),
            week=np.array([c.week for c in country], dtype=float),
            buildings=f["buildings"].to_numpy(),
            product=f["product"].to_numpy(),
        )
        kinds = self.catalogue.loc[~self.catalogue["ncq"], "fact_kind"]
        return np.column_stack([_FACT_DRAWS[k](facts).astype(str) for k in kinds]).astype(object)

    def finding_chunks(self) -> Iterator[pd.DataFrame]:
        """The assessments as typed export chunks of about CHUNK_ROWS rows, oldest first."""
        a = self.assessments
        sizes = self.asked.sum(axis=1)[a["country_index"].to_numpy()]
        blocks = (np.cumsum(sizes) - 1) // CHUNK_ROWS
        row = 2  # as in an export file, whose header is row 1
        for _, block in a.groupby(blocks, sort=True):
            chunk = self._chunk(block.reset_index(drop=True), row)
            row += len(chunk)
            yield chunk

    def _chunk(self, block: pd.DataFrame, first_row: int) -> pd.DataFrame:
        """One block of assessments in the shape of a validated export chunk."""
        q = self.catalogue
        country = block["country_index"].to_numpy()
        found, facts = self._found(block), self._facts(block)
        for i in np.flatnonzero(block["latest"].to_numpy()):
            self.found_latest[int(block["factory"].iat[i])] = np.flatnonzero(found[i])
        question = np.concatenate([self.asked_index[c] for c in country])
        a = np.repeat(np.arange(len(block)), self.asked.sum(axis=1)[country])
        spelling = question + block["legacy"].to_numpy()[a] * len(q)
        ncq = q["ncq"].to_numpy()
        fgw = ~ncq[question]
        fact = np.full(len(question), None, dtype=object)
        fact[fgw] = facts[a[fgw], (np.cumsum(~ncq) - 1)[question[fgw]]]
        f = self.factories.iloc[block["factory"].to_numpy()]
        frame = pd.DataFrame(
            {
                "row": np.arange(first_row, first_row + len(question), dtype=np.int64),
                "country": f["country"].to_numpy(object)[a],
                "cycle": block["cycle"].to_numpy(np.int64)[a],
                "factory_id": f["factory_id"].to_numpy(object)[a],
                "factory_name": f["factory_name"].to_numpy(object)[a],
                "quest_id": block["quest_id"].to_numpy(np.int64)[a],
                "start_date": self.days[block["day"].to_numpy()][a],
                **{c: self.spellings[c][spelling] for c in QUESTION_SPELLING},
                "finding": pd.arrays.IntegerArray(found[a, question].astype(np.int8), fgw),
                "fact": fact,
            }
        )
        text = ["country", "factory_id", "factory_name", *QUESTION_SPELLING, "fact"]
        return frame.astype(dict.fromkeys(text, "str"))[CHUNK_COLUMNS]

    # -- partners --------------------------------------------------------------------------

    def partners(self) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """Buyers linked to 5-40 factories, most with consent; one PAC per country."""
        f = self.factories[~self.factories["obsolete"]]
        names = [f"{a} {b}" for a in WORDS["brands"] for b in WORDS["brand_kinds"]]
        order = self.rng.permutation(len(names))
        sizes = f.groupby("country").size()
        partners: list[dict[str, object]] = []
        links: list[dict[str, object]] = []
        for b in range(max(1, round(len(self.factories) / 25)) if len(f) else 0):
            name = names[order[b % len(names)]]
            name += f" {b // len(names) + 1}" if b >= len(names) else ""
            pid = f"BUY{b + 1:03d}"
            partners.append(
                {"partner_id": pid, "partner_name": name, "partner_type": PartnerType.BUYER.value}
            )
            k = min(len(sizes), int(self.rng.integers(1, 4)))  # sources from 1-3 countries
            where = self.rng.choice(sizes.index.to_numpy(), k, replace=False, p=sizes / sizes.sum())
            pool = f.loc[f["country"].isin(where), "factory_id"].to_numpy()
            chosen = self.rng.choice(pool, min(len(pool), int(self.rng.integers(5, 41))), False)
            consent = self.rng.random(len(chosen)) < 0.8
            links += [
                {"partner_id": pid, "factory_id": fid, "consent": bool(yes)}
                for fid, yes in zip(sorted(chosen), consent, strict=True)
            ]
        for country in COUNTRIES:
            ids = f.loc[f["country"] == country.name, "factory_id"]
            if ids.empty:
                continue
            pid = f"PAC-{country.code}"
            partners.append(
                {
                    "partner_id": pid,
                    "partner_name": f"{country.name} Project Advisory Committee",
                    "partner_type": PartnerType.GOVERNANCE.value,
                }
            )
            links += [{"partner_id": pid, "factory_id": fid, "consent": True} for fid in ids]
        return partners, links

    # -- Improvement Plans -----------------------------------------------------------------

    def _plan_rows(self) -> pd.DataFrame:
        """One row per plan item: factory, finding or self-diagnosed issue, and opening day."""
        q, a = self.catalogue, self.assessments[self.assessments["latest"]]
        n = len(self.factories)
        day, quest, legacy = np.zeros(n, int), np.zeros(n, np.int64), np.zeros(n, int)
        factory = a["factory"].to_numpy()
        day[factory], quest[factory] = a["day"].to_numpy(), a["quest_id"].to_numpy()
        legacy[factory] = a["legacy"].to_numpy() * len(q)
        public = q["public_disclosure"].to_numpy()
        labels, cps = q["question_label"].to_numpy(object), q["compliance_point"].to_numpy(object)
        rows: list[tuple[object, ...]] = []
        for i in np.flatnonzero(~self.factories["obsolete"].to_numpy()):
            opened = int(day[i]) + int(self.rng.integers(14, 46))
            if opened > self.horizon:
                continue  # the plan is agreed within about a month of the assessment
            found = self.found_latest.get(int(i), np.array([], dtype=int))
            if len(found) > MAX_ITEMS:  # publicly reported issues first
                others = found[~public[found]]
                room = max(0, MAX_ITEMS - int(public[found].sum()))
                rest = self.rng.choice(others, min(room, len(others)), replace=False)
                found = np.sort(np.concatenate([found[public[found]], rest]))[:MAX_ITEMS]
            for k in found:
                cp = self.spellings["compliance_point"][k + legacy[i]]
                rows.append((i, int(quest[i]), k, cp, labels[k], ACTIONS[cps[k]], opened))
            for s in self.rng.choice(len(SELF_DIAGNOSIS), self.rng.integers(0, 4), replace=False):
                cp, issue, action = SELF_DIAGNOSIS[s]
                rows.append((i, None, -1, cp, issue, action, opened))
        columns = [
            "factory",
            "quest_id",
            "question",
            "compliance_point",
            "issue",
            "action",
            "opened",
        ]
        return pd.DataFrame(rows, columns=columns)

    def plan(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Plan items of each factory's latest assessment, and their progress updates."""
        rng, q, items = self.rng, self.catalogue, self._plan_rows()
        n = len(items)
        question = items["question"].to_numpy()
        finding = question >= 0
        public = finding & q["public_disclosure"].to_numpy()[question]
        cps = items["compliance_point"].map(canonical_compliance_point)
        cluster = cps.map(CLUSTER_OF).to_numpy(object)
        core = np.isin(cluster, CORE_LABOUR_STANDARDS)
        high = rng.random(n) < np.where(public, 0.9, np.where(core, 0.7, 0.3))
        low = ~high & (rng.random(n) < 0.3)
        allowed = np.select(
            [high, low],
            [rng.integers(30, 61, n), rng.integers(90, 181, n)],
            rng.integers(60, 121, n),
        )
        opened = items["opened"].to_numpy()
        age = self.horizon - opened
        # Older items are more often done; about a quarter of the rest have started.
        done_share = 0.9 * (1 - np.exp(-age / 150))
        u = rng.random(n)
        completed = u < done_share
        started = ~completed & (u < done_share + (1 - done_share) * np.minimum(0.7, age / 120))
        took = np.maximum(3, rng.gamma(2.0, allowed / 2.5)).astype(int)
        done_day = np.minimum(opened + took, self.horizon)
        start_day = opened + (
            rng.random(n) * np.where(completed, done_day - opened, np.minimum(age, 60))
        ).astype(int)
        waiting = ~completed & ~started & (age > 60) & (rng.random(n) < 0.3)
        waiting_day = opened + (rng.random(n) * age).astype(int)
        verified = public & completed & (self.horizon - done_day > 30) & (rng.random(n) < 0.75)
        f = self.factories.iloc[items["factory"].to_numpy()]
        status = np.select(
            [completed, started],
            [Status.COMPLETED.value, Status.IN_PROGRESS.value],
            Status.PENDING.value,
        )
        responsible = [
            (roles := WORDS[c.replace(" ", "_")])[int(x * len(roles))]
            for c, x in zip(cluster, rng.random(n), strict=True)
        ]
        plan = pd.DataFrame(
            {
                "factory_id": f["factory_id"].to_numpy(),
                "quest_id": pd.array(items["quest_id"].tolist(), dtype="Int64"),
                "question_id": _where(finding, q["question_id"].to_numpy(object)[question]),
                "source": np.where(
                    finding, ItemSource.FINDING.value, ItemSource.SELF_DIAGNOSIS.value
                ),
                "compliance_point": items["compliance_point"].to_numpy(object),
                "issue": items["issue"].to_numpy(object),
                "root_cause": _pick(rng, WORDS["root_causes"], n),
                "action": items["action"].to_numpy(object),
                "responsible": responsible,
                "due_date": self.days[opened + allowed],
                "priority": np.select(
                    [high, low], [Priority.HIGH.value, Priority.LOW.value], Priority.MEDIUM.value
                ),
                "status": status,
                "picc_agreed": rng.random(n) < np.where(completed | started, 0.92, 0.55),
                "notes": _pick(rng, WORDS["item_notes"], n),
                "opened_on": self.days[opened],
                "completed_on": _where(completed, self.days[done_day]),
                "verification": _where(
                    public & completed,
                    np.where(verified, Verification.VERIFIED.value, Verification.AWAITING.value),
                ),
                "verified_by": _where(verified, f["colleague"].to_numpy(object)),
            }
        )
        author = f["advisor"].to_numpy(object)
        evidence = np.array([f"IMG_{k:04d}.jpg" for k in rng.integers(1000, 10000, n)], object)
        moves = [
            (
                started | completed,
                start_day,
                Status.PENDING,
                Status.IN_PROGRESS,
                "start_notes",
                None,
            ),
            (completed, done_day, Status.IN_PROGRESS, Status.COMPLETED, "done_notes", evidence),
            (waiting, waiting_day, Status.PENDING, Status.PENDING, "waiting_notes", None),
        ]
        parts = []
        for mask, when, old, new, notes, refs in moves:
            k = int(mask.sum())
            with_ref = rng.random(k) < 0.5
            parts.append(
                pd.DataFrame(
                    {
                        "item": np.flatnonzero(mask),
                        "date": self.days[when[mask]],
                        "author": author[mask],
                        "note": _pick(rng, WORDS[notes], k),
                        "old_status": old.value,
                        "new_status": new.value,
                        "evidence_ref": _where(with_ref, refs[mask]) if refs is not None else None,
                    }
                )
            )
        updates = pd.concat(parts, ignore_index=True)
        return plan, updates.sort_values(["item", "date"], kind="stable", ignore_index=True)

    # -- visits ----------------------------------------------------------------------------

    def visits(self, plan: pd.DataFrame) -> pd.DataFrame:
        """Advisory visits and PICC meetings over each active factory's last three years."""
        f = self.factories
        active = np.flatnonzero(~f["obsolete"].to_numpy())
        first = self.assessments.groupby("factory")["day"].min().to_numpy()[active]
        start = np.maximum(first - 100, self.horizon - 3 * 365)  # advisory starts before
        span = self.horizon - start
        by_factory = plan.groupby("factory_id")
        plan_cps = by_factory["compliance_point"].agg(list).to_dict()
        plan_opened = by_factory["opened_on"].min().to_dict()
        ids, advisors = f["factory_id"].to_numpy(object), f["advisor"].to_numpy(object)
        people, follow_ups = WORDS["visit_people"], WORDS["follow_ups"]
        rows: list[tuple[object, ...]] = []
        for kind, every in ((VisitKind.ADVISORY_VISIT, 40), (VisitKind.PICC_MEETING, 75)):
            count = self.rng.poisson(span / every)
            factory = np.repeat(active, count)
            day = np.repeat(start, count) + (self.rng.random(count.sum()) * np.repeat(span, count))
            draws = self.rng.random((len(factory), 4))
            topics = WORDS["visit_topics" if kind is VisitKind.ADVISORY_VISIT else "picc_topics"]
            for i, d, (x1, x2, x3, x4) in zip(factory, day.astype(int), draws, strict=True):
                fid, advisor, date = ids[i], advisors[i], self.days[d]
                if kind is VisitKind.ADVISORY_VISIT:
                    a, b = int(x1 * len(people)), int(x2 * (len(people) - 1))
                    attendees = f"{advisor}; {people[a]}; {people[b + (b >= a)]}"
                else:
                    workers, managers = 3 + int(x1 * 4), 2 + int(x2 * 3)
                    attendees = f"{advisor}; PICC: {workers} worker and {managers} manager members"
                topic = topics[int(x3 * len(topics))]
                cps = plan_cps.get(fid, []) if date >= plan_opened.get(fid, AS_OF) else []
                if cps:
                    topic = f"Improvement Plan: {cps[int(x4 * len(cps))]}; {topic}"
                follow_up = follow_ups[int(x4 * len(follow_ups))]
                rows.append((fid, date, kind.value, attendees, topic, follow_up))
        visits = pd.DataFrame(
            rows, columns=["factory_id", "date", "kind", "attendees", "topics", "follow_ups"]
        )
        return visits.sort_values(["factory_id", "date", "kind"], ignore_index=True)


def fill_demo(store: Store, factories: int = 200, seed: int = 1) -> str:
    """Fill an empty store with a synthetic portfolio; returns a one-line summary."""
    if factories < 1:
        raise UsageError(f"the demo portfolio needs at least one factory, not {factories}")
    held = len(store.factories_frame())
    if held:
        raise UsageError(
            f"the store already holds {held} factories; demo data goes into an empty store"
        )
    portfolio = _Portfolio(factories, seed)
    with store.assessment_loader(ACTOR, "demo-data") as loader:
        for chunk in portfolio.finding_chunks():
            loader.add(chunk)
    f = portfolio.factories
    store.bulk_update_factories(f[["factory_id", "workers", "advisor"]], ACTOR, "demo-data")
    partners, links = portfolio.partners()
    store.save_partners(partners, links, ACTOR)
    plan, updates = portfolio.plan()
    store.bulk_add_plan_items(plan, updates, ACTOR, "demo-data")
    visits = portfolio.visits(plan)
    store.bulk_add_visits(visits, ACTOR, "demo-data")
    countries, summary = f["country"].nunique(), loader.summary
    return (
        f"demo portfolio (seed {seed}): {len(f)} factories in {countries} countries, "
        f"{summary.assessments_added} assessments, {summary.findings_added} findings, "
        f"{len(partners)} partners with {len(links)} links, {len(plan)} Improvement Plan items "
        f"with {len(updates)} progress updates, {len(visits)} visits"
    )
