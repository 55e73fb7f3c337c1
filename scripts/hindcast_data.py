"""Build the initial state of the 2011 hindcast (scenarios/data/hindcast_2011/) from the April
2017 data and the record of December 2011, by the rules written in its README.md.

    python scripts/hindcast_data.py          # rewrites scenarios/data/hindcast_2011/*.csv

The rules: the same network and areas; populations of the Iraqi areas scaled back from April
2017 to December 2011 by the registry's growth rate; no territory held by IS anywhere; the
Islamic State of Iraq's fighters as clandestine cells where it operated; the forces of the time
(IISS 2012) garrisoned by population within each force's zone; the displaced of 2006-08 still
displaced; the policy levers as they stood when the last US troops left.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "model" / "data"
OUT = ROOT / "scenarios" / "data" / "hindcast_2011"
GROWTH = 0.025  # the registry's population_growth (un-wpp-2019)
YEARS = 5 + 4 / 12  # December 2011 -> April 2017

# ISI (al-Qaeda in Iraq) cells at the end of 2011: about 1,000 fighters where it operated (M)
ISI_CELLS = {
    "N1": 150, "N2": 150, "N9": 50, "S1": 60, "S2": 40, "S3": 40, "S6": 40, "A1": 80,
    "A2": 80, "A3": 30, "A4": 20, "A7": 40, "D1": 60, "D2": 40, "D4": 40, "K2": 40,
    "B": 60, "H": 40,
}  # fmt: skip
FORCES = [
    # force, strength, low, high, unit, source, flag, note
    ("IS_IRAQ", 1000, 700, 2500, "fighters", "isi-2011", "M", "about 1,000 ISI fighters at the withdrawal (estimates from under 1,000 to a few thousand)"),
    ("IS_SYRIA", 0, 0, 1000, "fighters", "isis-syria-2013", "M", "no IS presence in Syria before 2012 (the Nusra Front formed in January 2012)"),
    ("ARMY", 193000, 150000, 210000, "personnel", "iiss-military-balance-2012", "M", "Iraqi Army, IISS Military Balance 2012 order of magnitude"),
    ("CTS", 9000, 7000, 10000, "personnel", "iiss-military-balance-2012", "M", "Counter Terrorism Service"),
    ("FEDERAL_POLICE", 44000, 35000, 50000, "personnel", "iiss-military-balance-2012", "M", "Federal Police"),
    ("PMF", 0, 0, 0, "personnel", "sistani-fatwa-2014", "C", "the Popular Mobilization Forces formed only in June 2014"),
    ("TRIBAL", 40000, 30000, 52000, "personnel", "sons-of-iraq-2011", "M", "Sons of Iraq (Sahwa) still on the payroll, declining"),
    ("PESHMERGA", 150000, 100000, 201000, "personnel", "rudaw-peshmerga-2017", "M", "assumed as in 2017"),
    ("US", 4000, 0, 6000, "personnel", "us-withdrawal-2011", "M", "the last US troops left on 18 December 2011"),
    ("COALITION_OTHER", 0, 0, 500, "personnel", "us-withdrawal-2011", "M", "no coalition partners left"),
]  # fmt: skip
POLICY = [
    ("us_troops", 4000, "troops", "us-withdrawal-2011", "M", "the last US troops left on 18 December 2011"),
    ("coalition_air", 0.0, "index 0-1", "us-withdrawal-2011", "M", "no coalition air campaign until August 2014"),
    ("aid", 5, "million USD per month", "sigir2013", "M", "reconstruction funds wound down with the withdrawal"),
    ("aid_targeting", 0.5, "share", "sigir2013", "M", "assumed"),
    ("reconciliation", 0.05, "index 0-1", "hashemi-2011", "M", "the arrest warrant for the Sunni vice-president (19 December 2011)"),
    ("sunni_inclusion", 0.2, "index 0-1", "hashemi-2011", "M", "the 2010 power-sharing deal unravelling"),
    ("militia_discipline", 0.5, "index 0-1", "sistani-fatwa-2014", "M", "no PMF garrisons yet"),
    ("family_policy", 0.5, "index 0-1", "hrw-families-2018", "M", "no policy toward IS families yet (screening assumed)"),
    ("border_control", 0.3, "share", "essay", "M", "as in 2017"),
    ("syria_campaign", 0.0, "index 0-1", "isis-syria-2013", "M", "no campaign against havens that did not exist yet"),
    ("kirkuk_settlement", 0.1, "index 0-1", "kirkuk-crisis-2017", "M", "no settlement"),
]  # fmt: skip
# displaced of 2006-08 still displaced at the end of 2011 by governorate of origin (M shares)
IDPS_2011 = 1_332_000
IDP_SHARES = {
    "Baghdad": 0.45, "Diyala": 0.12, "Nineveh": 0.08, "Anbar": 0.06, "Salah ad-Din": 0.05,
    "Kirkuk": 0.04, "Babil": 0.04, "Other": 0.16,
}  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    areas = pd.read_csv(SRC / "areas.csv", dtype=str, keep_default_na=False)
    iq = areas["country"] == "IQ"
    pop = areas["population"].astype(int)
    factor = (1 + GROWTH) ** -YEARS
    areas.loc[iq, "population"] = np.rint(pop[iq] * factor).astype(int).astype(str)
    areas.loc[iq, "pop_flag"] = "D"
    areas.loc[iq, "pop_source"] = areas.loc[iq, "pop_source"] + ";un-wpp-2019"
    areas["is_share"] = "0"
    areas["is_fighters"] = [str(ISI_CELLS.get(a, 0)) for a in areas["id"]]
    areas["is_fighters_flag"] = "M"
    areas["is_fighters_source"] = "isi-2011"
    areas["controller"] = np.where(
        areas["controller"].isin(["IS", "CONTESTED"]), "GOV", areas["controller"]
    )
    areas.loc[~iq, "controller"] = "SY-OTHER"
    areas["retaken_month"] = ""
    areas["op_start"] = ""
    areas["op_source"] = ""
    areas["control_source"] = "us-withdrawal-2011"
    areas["haven_capacity"] = "0"  # no havens in Syria yet (haven_limit schedules them)
    areas["notes"] = "December 2011: " + areas["notes"].str.slice(0, 60)
    areas.to_csv(OUT / "areas.csv", index=False)
    (OUT / "edges.csv").write_bytes((SRC / "edges.csv").read_bytes())
    (OUT / "families.csv").write_bytes((SRC / "families.csv").read_bytes())
    forces = pd.DataFrame(
        FORCES, columns=["force", "strength", "low", "high", "unit", "source", "flag", "notes"]
    )
    forces.to_csv(OUT / "forces.csv", index=False)
    pd.DataFrame(POLICY, columns=["lever", "value", "unit", "source", "flag", "notes"]).to_csv(
        OUT / "policy.csv", index=False
    )
    _deployment(areas)
    disp = pd.DataFrame(
        [
            (g, int(round(IDPS_2011 * s)), "M", "unhcr-iraq-2011", "share of the 2011 caseload by origin, assumed")
            for g, s in IDP_SHARES.items()
        ],
        columns=["governorate", "idps", "flag", "source", "notes"],
    )
    disp.to_csv(OUT / "displacement.csv", index=False)
    pd.DataFrame(
        [("2011-12-31", IDPS_2011, 0, "unhcr-iraq-2011", "M", "IDPs still displaced from 2006-08; returns counted from the start")],
        columns=["date", "idps", "returnees", "source", "flag", "notes"],
    ).to_csv(OUT / "displacement_national.csv", index=False)


def _deployment(areas: pd.DataFrame) -> None:
    """Garrisons by population within each force's zone; the CTS and a quarter of the army
    are mobile (mission strike: the pool)."""
    pop = areas["population"].astype(float)
    iq = areas["country"] == "IQ"
    governed = iq & (pop >= 1000)
    krg_core = areas["controller"].eq("KRG") & areas["disputed"].eq("0")
    sunni = areas["share_SA"].astype(float) >= 0.5
    strength = {f[0]: f[1] for f in FORCES}
    rows = []

    def spread(force: str, total: float, zone: pd.Series, mission: str) -> None:
        w = pop.where(zone, 0.0)
        for area, x in zip(areas["id"], total * w / w.sum(), strict=True):
            if x >= 1:
                rows.append((area, force, int(x), mission, "iiss-military-balance-2012", "M"))

    federal = governed & ~krg_core
    spread("ARMY", 0.75 * strength["ARMY"], federal, "garrison")
    spread("FEDERAL_POLICE", strength["FEDERAL_POLICE"], federal, "garrison")
    spread("TRIBAL", strength["TRIBAL"], federal & sunni, "garrison")
    spread("PESHMERGA", strength["PESHMERGA"], governed & areas["controller"].eq("KRG"), "garrison")
    rows.append(("B", "ARMY", int(0.25 * strength["ARMY"]), "strike", "iiss-military-balance-2012", "M"))
    rows.append(("B", "CTS", strength["CTS"], "strike", "iiss-military-balance-2012", "M"))
    out = pd.DataFrame(rows, columns=["area", "force", "strength", "mission", "source", "flag"])
    # whole troops summing to each force's strength (the model rescales to forces.csv anyway)
    out.to_csv(OUT / "deployment.csv", index=False)


if __name__ == "__main__":
    main()
