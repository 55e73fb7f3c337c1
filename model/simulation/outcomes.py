"""The outcome catalogue: every recorded outcome with its unit and meaning.

One table feeds the model's records, scenario validation (``outcomes:`` in a scenario file),
plots, sensitivity analysis and validation. Column names are fixed; see docs/outputs.md.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS: tuple[str, ...] = ("sunni_arab", "shia_arab", "kurd", "turkmen", "yazidi", "christian")
"""Identity groups, in the order of the population's ``group`` column."""

GROUP_CODES: dict[str, str] = {
    "SA": "sunni_arab",
    "SH": "shia_arab",
    "K": "kurd",
    "T": "turkmen",
    "Y": "yazidi",
    "C": "christian",
}


@dataclass(frozen=True)
class Outcome:
    """A recorded outcome.

    Attributes:
        name: column name in the monthly or summary table.
        unit: real unit.
        meaning: one sentence.
        levels: which table levels carry it ("national", "governorate", "area"); empty for
            run-level summaries.
        higher_is: "worse", "better" or "" (neutral) for plots and comparisons.
    """

    name: str
    unit: str
    meaning: str
    levels: tuple[str, ...] = ("national", "governorate", "area")
    higher_is: str = "worse"


_ALL = ("national", "governorate", "area")
_NAT = ("national",)
_O = Outcome

# fmt: off
_MONTHLY: list[Outcome] = [
    _O("is_fighters", "fighters", "IS fighters in the unit (holding territory, clandestine or in a haven)."),
    _O("is_fighters_holding", "fighters", "IS fighters holding territory."),
    _O("is_fighters_clandestine", "fighters", "IS fighters in clandestine cells (and havens)."),
    _O("is_share", "share", "Share of the unit held by IS: for an area, the share of its territory and people; for a governorate or Iraq, the areas' shares weighted by their population."),
    _O("is_held_areas", "areas", "Governed areas (with residents) where IS holds more than the retaken threshold of the territory."),
    _O("sanctuaries", "areas", "Refuges without residents (hills, deserts) that IS holds as sanctuaries."),
    _O("pop_under_is", "persons", "Persons living at home under IS rule."),
    _O("incidents", "incidents per month", "Insurgent attacks in the month."),
    _O("civilian_deaths", "deaths per month", "Civilians killed in the month (combat and attacks)."),
    _O("civilian_deaths_by_government", "deaths per month", "Civilians killed in the month by government or coalition fire."),
    _O("security_deaths", "deaths per month", "Security personnel killed in the month."),
    _O("is_deaths", "deaths per month", "IS fighters killed or captured in the month."),
    _O("battle_deaths", "deaths per month", "Battle-related deaths in the month (UCDP): security personnel and IS fighters killed, and civilians killed in the fighting of offensives; civilians killed by insurgent attacks (one-sided violence) are not counted."),
    _O("recruits", "persons per month", "Persons recruited by IS in the month."),
    _O("population", "persons", "Persons originating from the unit, alive and not recruited (at home or displaced).", higher_is=""),
    _O("idps", "persons", "Persons displaced from their home area in the unit (by area of origin)."),
    _O("returnees", "persons", "Persons who have returned home since the start (cumulative).", higher_is="better"),
    _O("security_forces", "troops", "Iraqi security personnel deployed in the unit (all forces).", higher_is=""),
    _O("legitimacy", "index 0-1", "Mean perceived legitimacy of the government, weighted by persons.", higher_is="better"),
    _O("grievance", "index 0-1", "Mean grievance H(1-L), weighted by persons (Epstein 2002)."),
    _O("active_share", "share", "Share of persons who are active (each cohort is partly active: section 7.6 of docs/ODD.md)."),
    _O("sympathiser_share", "share", "Share of persons who sympathise without being active."),
]
for _g in GROUPS:
    _MONTHLY += [
        _O(f"legitimacy_{_g}", "index 0-1", f"Mean perceived legitimacy among {_g.replace('_', ' ')} persons.", higher_is="better"),
        _O(f"grievance_{_g}", "index 0-1", f"Mean grievance among {_g.replace('_', ' ')} persons."),
        _O(f"active_share_{_g}", "share", f"Share of {_g.replace('_', ' ')} persons who are active."),
        _O(f"sympathiser_share_{_g}", "share", f"Share of {_g.replace('_', ' ')} persons who sympathise."),
    ]
_MONTHLY += [
    _O("sectarian_tension", "index 0-1", "National sectarian tension.", _NAT),
    _O("kirkuk_tension", "index 0-1", "Tension over Kirkuk and the disputed territories.", _NAT),
    _O("haven_capacity", "index 0-1", "Mean capacity of the Syrian havens to train, house and send fighters.", _NAT),
    _O("syria_is_fighters", "fighters", "IS fighters in the Syrian havens.", _NAT),
    _O("border_inflow", "fighters per month", "IS fighters crossing from Syria into Iraq in the month.", _NAT),
    _O("us_troops", "troops", "US troops present this month (following the troop lever with a lag).", _NAT, higher_is=""),
    _O("coalition_support", "index 0-1", "Coalition support: advising, intelligence and air, built up and decaying with the presence.", _NAT, higher_is=""),
    _O("aid_delivered", "million USD per month", "Aid reaching the areas this month (the committed aid after its absorption delay).", _NAT, higher_is=""),
    _O("hardliner_mobilization", "index 0-1", "Shia hardliners' mobilization against Sunni inclusion and reconciliation.", _NAT),
    _O("militia_attacks", "attacks per month", "Militia attacks on coalition forces (expected number).", _NAT),
    _O("leadership_losses", "events per month", "1 in a month when a top IS leader was killed.", _NAT, higher_is=""),
    _O("battle_deaths_12m", "battle-related deaths per year", "Battle-related deaths over the last 12 months (the first months scaled to a year).", _NAT),
    _O("stability", "index 0-100", "Composite stability index (see docs/ODD.md).", _NAT, higher_is="better"),
]

_SUMMARY: list[Outcome] = [
    _O("defeat_month", "month (date)", "First month with no Iraqi area held by IS (NaT if never).", (), higher_is=""),
    _O("months_to_defeat", "months", "Months from the start to territorial defeat (NaN if never).", ()),
    _O("resurgence", "0/1", "1 if the conflict relapsed after the territorial defeat: IS retook a governed area, or yearly battle-related deaths came back to war level (1,000) after falling below it.", ()),
    _O("resurgence_month", "month (date)", "Month of the relapse (NaT if none).", (), higher_is=""),
    _O("conflict_outcome", "class 0-4", "Ordered outcome of the run: 0 stable (under 25 battle-related deaths in the last year), 1 low-level conflict (25-999), 2 persistent insurgency (war never ended after the defeat), 3 resurgence, 4 never defeated.", ()),
    _O("months_at_risk", "months", "Months from the end of the war (or the defeat) to the relapse, or to the horizon if none: the time to relapse, censored when resurgence is 0.", (), higher_is="better"),
    _O("kirkuk_crisis_month", "month (date)", "Month federal forces took over the disputed areas (NaT if never).", (), higher_is=""),
    _O("cumulative_civilian_deaths", "deaths", "Civilians killed over the horizon.", ()),
    _O("cumulative_security_deaths", "deaths", "Security personnel killed over the horizon.", ()),
    _O("cumulative_deaths", "deaths", "Civilians and security personnel killed over the horizon.", ()),
    _O("cumulative_battle_deaths", "deaths", "Battle-related deaths over the horizon.", ()),
    _O("battle_deaths_final_year", "battle-related deaths per year", "Battle-related deaths in the last 12 months of the horizon.", ()),
    _O("cumulative_incidents", "incidents", "Insurgent incidents over the horizon.", ()),
    _O("idps_final", "persons", "Displaced persons at the horizon.", ()),
    _O("is_fighters_final", "fighters", "IS fighters in Iraq at the horizon.", ()),
    _O("peak_incidents", "incidents per month", "Largest monthly number of incidents.", ()),
    _O("mean_incidents_last24", "incidents per month", "Mean monthly incidents over the last 24 months.", ()),
    _O("mean_stability_last24", "index 0-100", "Mean stability index over the last 24 months.", (), higher_is="better"),
    _O("mean_legitimacy_sunni_arab_last24", "index 0-1", "Mean Sunni Arab legitimacy over the last 24 months.", (), higher_is="better"),
    _O("us_troop_years", "troop-years", "US troops present summed over the horizon: the presence's cost in troops.", (), higher_is=""),
    _O("aid_committed_total", "million USD", "Aid committed over the horizon: the aid lever's cost.", (), higher_is=""),
]

# fmt: on
MONTHLY: dict[str, Outcome] = {o.name: o for o in _MONTHLY}
SUMMARY: dict[str, Outcome] = {o.name: o for o in _SUMMARY}
MONTHLY_NAMES: tuple[str, ...] = tuple(MONTHLY)
SUMMARY_NAMES: tuple[str, ...] = tuple(SUMMARY)
LEVELS: tuple[str, ...] = _ALL
ID_COLUMNS: tuple[str, ...] = ("month", "level", "unit")
"""Monthly table key: month (first day, datetime64), level, unit (area id, governorate or 'Iraq')."""


def markdown_table() -> str:
    """The outcome catalogue as the Markdown page docs/outputs.md."""
    lines = [
        "# Outputs: tables, columns and units",
        "",
        "Generated from `model/simulation/outcomes.py` by `stabsim outcomes --markdown`; do not edit by hand.",
        "",
        "## The monthly table",
        "",
        "One row per month and unit. Key columns: `month` (first day of the month, a date), `level`",
        "(`national`: Iraq; `governorate`: the 18 Iraqi governorates and the Syrian ones; `area`: the",
        "areas of the network, recorded when a scenario asks for it with `levels`), `unit` (`Iraq`, a",
        "governorate name or an area id). Stored runs add `replicate` (and batches `scenario`, `seed`",
        "and the varied parameters). National figures cover Iraq only; the Syrian havens have their own",
        "columns. Flows (deaths, incidents, recruits) are per month; stocks (fighters, persons) are at",
        "the end of the month. Shares and indices are weighted by persons.",
        "",
        "| column | unit | levels | meaning |",
        "|---|---|---|---|",
    ]
    for o in _MONTHLY:
        lines.append(f"| `{o.name}` | {o.unit} | {', '.join(o.levels)} | {o.meaning} |")
    lines += [
        "",
        "## The run summary",
        "",
        "One row per run (replicate). Stored runs add `scenario`, `replicate` and `seed`.",
        "",
        "| column | unit | meaning |",
        "|---|---|---|",
    ]
    for o in _SUMMARY:
        lines.append(f"| `{o.name}` | {o.unit} | {o.meaning} |")
    lines.append("")
    return "\n".join(lines)
