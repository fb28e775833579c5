"""PICC members by country, side and gender: `bwcases counts picc`."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd

from bwcases.analysis.synthesis import picc_members
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import bw, write_csv

D = dt.date


def picc_store(store: Store, tmp_path: Path) -> Store:
    """VN001 and VN002 in Vietnam, KH001 in Cambodia, and their PICC members."""
    lines = [
        f"{country},1,{fid},Factory {fid},{quest},10/03/2024,NCQ,Wages paid?,W1,"
        "Minimum Wages/Piece Rate Wages,Compensation,0,"
        for country, fid, quest in (
            ("Vietnam", "VN001", 1),
            ("Vietnam", "VN002", 2),
            ("Cambodia", "KH001", 3),
        )
    ]
    import_file(store, "assessments", write_csv(tmp_path / "a.csv", lines))
    members = [  # factory, side, gender, since
        ("VN001", "worker", "female", D(2024, 1, 1)),
        ("VN001", "worker", "female", D(2024, 1, 1)),
        ("VN001", "worker", "male", D(2024, 1, 1)),
        ("VN001", "management", "male", D(2024, 1, 1)),
        ("VN002", "worker", "female", D(2024, 1, 1)),
        ("VN002", "management", "other", D(2025, 6, 1)),  # joins later
        ("KH001", "worker", "female", D(2024, 1, 1)),
    ]
    for n, (fid, side, gender, since) in enumerate(members):
        values = {
            "name": f"Member {n}",
            "side": side,
            "gender": gender,
            "selection": "elected" if side == "worker" else "appointed",
            "since": since,
        }
        store.add_picc_member(fid, values, actor="cli")
    return store


def test_members_by_country_side_and_gender_on_a_day(store: Store, tmp_path: Path) -> None:
    picc_store(store, tmp_path)
    got = picc_members(store, country="vn", as_of=D(2025, 1, 1))
    # Vietnam's workers: 2 women and a man at VN001, a woman at VN002; management: one man
    assert got.to_dict("records") == [
        {"country": "Vietnam", "side": "worker", "factories": 2, "female": 3, "male": 1,
         "other": 0, "total": 4},
        {"country": "Vietnam", "side": "management", "factories": 1, "female": 0, "male": 1,
         "other": 0, "total": 1},
    ]  # fmt: skip
    later = picc_members(store, country="Vietnam", as_of=D(2025, 7, 1)).set_index("side")
    assert (later.loc["management", "factories"], later.loc["management", "other"]) == (2, 1)
    pooled = picc_members(store, country="all", as_of=D(2025, 1, 1)).set_index("side")
    assert pooled.loc["worker", "total"] == 5 and pooled.loc["worker", "factories"] == 3
    each = picc_members(store, as_of=D(2025, 1, 1))
    assert sorted(set(each["country"])) == ["Cambodia", "Vietnam"]


def test_the_cli_counts_picc_and_refuses_what_does_not_apply(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    picc_store(store, tmp_path)
    env = {"BWCASES_DB": store_url}
    result = bw("counts", "picc", "--country", "KH", "--as-of", "2025-01-01", env=env)
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame[["side", "female", "total"]].values.tolist() == [["worker", 1, 1]]
    for args, option in [
        (("counts", "picc", "--cycle", "1"), "--cycle"),
        (("counts", "picc", "--from", "2024-01", "--to", "2024-12"), "--from"),
        (("counts", "assessments", "--as-of", "2025-01-01"), "--as-of"),
        (("counts", "picc", "--as-of", "01/01/2025"), "--as-of"),
    ]:
        refused = bw(*args, env=env)
        assert refused.exit_code == 2 and option in refused.stderr, args
