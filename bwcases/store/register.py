"""The factory and partner registers as plain rows, and fingerprints of a factory's data: read
without pandas, for a batch's plan (pandas only for a partner batch's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from bwcases.core.digests import short_digest
from bwcases.store import models as m
from bwcases.store.gateway import Gateway

if TYPE_CHECKING:
    import pandas as pd

PARTNER_COLUMNS = ["partner_id", "partner_name", "partner_type", "factory_id", "consent"]


def countries_statement() -> Select[str]:
    """The countries of the factory register, as it spells them (sqlite_rates runs it too)."""
    return select(m.Factory.country).distinct().order_by(m.Factory.country)


class RegisterStore(Gateway):
    """Which factories, countries and partners there are, and when a factory's data changed."""

    def factory_countries(self) -> dict[str, str]:
        """Each factory's country, in the register's order (by country, then factory ID)."""
        f = m.Factory
        stmt = select(f.factory_id, f.country).order_by(f.country, f.factory_id)
        with self.reading() as s:
            return {fid: country for fid, country in s.execute(stmt)}

    def countries(self) -> list[str]:
        """The countries of the factory register, as it spells them."""
        with self.reading() as s:
            return list(s.execute(countries_statement()).scalars())

    def partners_frame(self, partner_id: str | None = None) -> pd.DataFrame:
        """Partners with their factory links, one row per link."""
        import pandas as pd

        p, link = m.Partner, m.PartnerLink
        stmt = (
            select(p.partner_id, p.partner_name, p.partner_type, link.factory_id, link.consent)
            .outerjoin(link, link.partner_id == p.partner_id)
            .order_by(p.partner_id, link.factory_id)
        )
        if partner_id:
            stmt = stmt.where(p.partner_id == partner_id)
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=PARTNER_COLUMNS)

    def consented_factories(self, partner_id: str) -> list[str]:
        """The factories a partner is linked to with the factory's consent."""
        link = m.PartnerLink
        with self.reading() as s:
            self.get(s, m.Partner, partner_id)
            stmt = select(link.factory_id).where(
                link.partner_id == partner_id, link.consent.is_(True)
            )
            return sorted(s.execute(stmt).scalars())

    # -- fingerprints --------------------------------------------------------------------

    def factory_fingerprints(self, factory_ids: Sequence[str]) -> dict[str, str]:
        """For each factory, a digest that changes whenever any of its data changes."""
        ids = list(factory_ids)
        a, i, u, v, f = m.Assessment, m.PlanItem, m.ProgressUpdate, m.Visit, m.Factory
        parts: dict[str, list[Any]] = {fid: [] for fid in ids}
        queries = [
            select(f.factory_id, f.version, f.factory_name),
            select(a.factory_id, func.count(), func.max(a.quest_id)).group_by(a.factory_id),
            select(i.factory_id, func.count(), func.max(i.id), func.sum(i.version)).group_by(
                i.factory_id
            ),
            select(i.factory_id, func.count(), func.max(u.id))
            .join(i, i.id == u.item_id)
            .group_by(i.factory_id),
            select(v.factory_id, func.count(), func.max(v.id), func.sum(v.version)).group_by(
                v.factory_id
            ),
        ]
        with self.reading() as s:
            for n, stmt in enumerate(queries):
                for row in s.execute(stmt):
                    if row[0] in parts:
                        parts[row[0]].append((n, *map(str, row[1:])))
        return {fid: short_digest(parts[fid]) for fid in ids}

    def partner_fingerprints(self, partner_ids: Sequence[str]) -> dict[str, str]:
        """For each partner, a digest of its links and of its consenting factories' data."""
        links = self.partners_frame()
        out = {}
        for pid in partner_ids:
            mine = links[links["partner_id"] == pid]
            consented = sorted(mine.loc[mine["consent"].astype(bool), "factory_id"].dropna())
            factories = self.factory_fingerprints(consented)
            out[pid] = short_digest([mine.astype(str).values.tolist(), sorted(factories.items())])
        return out
