"""The parameter registry: every model parameter and policy lever, one per line.

Each entry gives its default, plausible range, unit, meaning and source. The source is one or
more ids separated by commas: a fact in ``seeds/facts.yaml``, a reference in
``seeds/references.yaml``, or the word ``assumption``. The registry drives scenario validation,
sensitivity-analysis bounds, the ``stabsim params`` table and ``docs/parameters.md``.

Kinds:
    lever      a policy choice; scenarios may give a constant or a dated schedule.
    event      an exogenous shock with a dated schedule (e.g. the 2017 Kurdish referendum).
    initial    an uncertain figure of the initial state (an estimate flagged M in the data).
    parameter  a behavioural or process parameter.
    technical  resolution and bookkeeping; changes precision, not behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

KINDS = ("lever", "event", "initial", "parameter", "technical")


@dataclass(frozen=True)
class Parameter:
    """One registry entry.

    Attributes:
        name: identifier used in scenario files and as a model keyword argument.
        default: value used when a scenario does not set it.
        low: lowest plausible value (inclusive); scenario values outside [low, high] are errors.
        high: highest plausible value (inclusive).
        unit: real unit ("troops", "persons", "per month", "share", "index 0-1", ...).
        meaning: one sentence saying what it is.
        source: comma-separated source ids (seeds/facts.yaml, seeds/references.yaml) or
            "assumption".
        kind: one of KINDS.
        group: the model process it belongs to.
        integer: whether only whole numbers are allowed.
        choices: named values a scenario may write instead of a number (levers only).
    """

    name: str
    default: float
    low: float
    high: float
    unit: str
    meaning: str
    source: str
    kind: str = "parameter"
    group: str = "general"
    integer: bool = False
    choices: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} not in {KINDS}")
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"{self.name}: default {self.default} outside [{self.low}, {self.high}]"
            )

    @property
    def sources(self) -> list[str]:
        """The source ids, split."""
        return [s.strip() for s in self.source.split(",") if s.strip()]

    @property
    def is_schedulable(self) -> bool:
        """Levers and events may change on dated months."""
        return self.kind in ("lever", "event")


P = Parameter
_A = "assumption"

# fmt: off
_ENTRIES: list[Parameter] = [
    # ---- policy levers -------------------------------------------------------------------------
    P("us_troops", 5200, 0, 20000, "troops", "US military personnel in Iraq (advise, assist, enable, strike).", "essay-us-troops,us-troops-2017", "lever", "coalition", integer=True),
    P("coalition_air", 1.0, 0.0, 1.0, "index 0-1", "Coalition air strikes and surveillance, relative to the 2017 campaign level (1).", _A, "lever", "coalition"),
    P("aid", 25.0, 0.0, 500.0, "million USD per month", "Reconstruction and stabilization spending reaching Iraq's areas.", _A, "lever", "government"),
    P("aid_targeting", 0.5, 0.0, 1.0, "share", "Share of aid allocated by need (destruction x residents) rather than by population.", _A, "lever", "government"),
    P("reconciliation", 0.2, 0.0, 1.0, "index 0-1", "National reconciliation effort: amnesty, transitional justice, dialogue between communities.", "essay-politics-first", "lever", "government"),
    P("sunni_inclusion", 0.3, 0.0, 1.0, "index 0-1", "Sunni Arab inclusion in national politics and local security (1 = full share of power).", "essay-politics-first", "lever", "government"),
    P("militia_discipline", 0.4, 0.0, 1.0, "index 0-1", "Discipline of the Popular Mobilization Forces and their integration in the state chain of command.", _A, "lever", "security"),
    P("family_policy", 0.2, 0.0, 1.0, "index 0-1", "Policy toward IS-affiliated families: 0 punish (camps, no documents), 0.5 screen, 1 reintegrate.", "essay-fighter-families", "lever", "government", choices={"punish": 0.0, "screen": 0.5, "reintegrate": 1.0}),
    P("border_control", 0.3, 0.0, 1.0, "share", "Share of cross-border movement of fighters and materiel from Syria that is interdicted.", "essay-syria-havens", "lever", "security"),
    P("syria_campaign", 1.0, 0.0, 1.0, "index 0-1", "Intensity of the campaign against IS havens in Syria (1 = the 2017 Raqqa and Deir ez-Zor offensives).", "essay-syria-havens", "lever", "coalition"),
    P("kirkuk_settlement", 0.1, 0.0, 1.0, "index 0-1", "Progress toward a negotiated settlement of Kirkuk and the disputed territories.", _A, "lever", "politics"),
    # ---- exogenous events ----------------------------------------------------------------------
    P("kurdish_referendum", 0.0, 0.0, 1.0, "index 0-1", "Kurdish independence referendum shock (1 in the month it is held).", "kurdish-referendum-2017", "event", "politics"),
    P("haven_limit", 1.0, 0.0, 1.0, "index 0-1", "Ground and freedom of action IS has in Syria apart from the campaign against it (the Syrian war's effect): caps the havens' capacity (0 no haven, 1 as in 2017).", "essay-syria-havens", "event", "havens"),
    # ---- initial state (estimates) -------------------------------------------------------------
    P("is_fighters_iraq_scale", 1.0, 0.6, 1.6, "multiplier", "Scales the estimated IS fighters in each Iraqi area in the initial state.", "is-forces-iraq-2017,is-forces-cjtf-2017", "initial", "insurgency"),
    P("is_fighters_syria_scale", 1.0, 0.6, 1.6, "multiplier", "Scales the estimated IS fighters in each Syrian haven in the initial state.", "is-forces-cjtf-2017,is-forces-syria-2017", "initial", "insurgency"),
    P("strike_force", 100000, 50000, 150000, "troops", "Iraqi mobile forces available for offensives (army, CTS, Federal Police, mobile PMF).", "mosul-operation-force", "initial", "operations", integer=True),
    P("syria_force", 35300, 15000, 80000, "troops", "Partner forces (SDF, with coalition support) available against the Syrian havens at full campaign intensity.", "calibration-2017", "initial", "operations", integer=True),
    P("coalition_partners", 5500, 0, 12000, "troops", "Non-US coalition personnel in Iraq (about as many as the US).", "coalition-size-2017", "initial", "coalition", integer=True),
    P("legitimacy0_sunni_arab", 0.33, 0.10, 0.60, "index 0-1", "Perceived legitimacy of the government among Sunni Arabs before policy effects.", _A, "initial", "population"),
    P("legitimacy0_shia_arab", 0.70, 0.40, 0.90, "index 0-1", "Perceived legitimacy of the government among Shia Arabs before policy effects.", _A, "initial", "population"),
    P("legitimacy0_kurd", 0.40, 0.15, 0.70, "index 0-1", "Perceived legitimacy of the (federal and regional) government among Kurds before policy effects.", _A, "initial", "population"),
    P("legitimacy0_minority", 0.45, 0.20, 0.70, "index 0-1", "Legitimacy among Turkmen, Yazidis, Christians and Shabak before policy effects.", _A, "initial", "population"),
    P("legitimacy0_syria", 0.40, 0.10, 0.70, "index 0-1", "Legitimacy of the authorities among the population of the Syrian areas before policy effects.", _A, "initial", "population"),
    P("is_family_share", 0.06, 0.01, 0.15, "share", "Share of Sunni Arab persons in IS-held or recently held areas who belong to IS-affiliated families.", "essay-fighter-families", "initial", "population"),
    P("destruction0_liberated", 0.35, 0.0, 0.8, "index 0-1", "Initial destruction of housing and services in areas retaken from IS before April 2017.", _A, "initial", "displacement"),
    P("haven_capacity0", 1.0, 0.0, 1.0, "index 0-1", "Capacity of every Syrian haven at the start, where the area data give none.", "essay-syria-havens", "initial", "havens"),
    P("idp_weight_liberated", 4.0, 1.0, 10.0, "multiplier", "Weight of households from areas held by IS since 2014 when the April 2017 displaced are placed (they fled more).", _A, "initial", "displacement"),
    P("idp_weight_group", 3.0, 1.0, 10.0, "multiplier", "Weight of Sunni Arab and Yazidi households when the April 2017 displaced are placed (the groups displaced most).", _A, "initial", "displacement"),
    # ---- population: civil violence (Epstein 2002) ---------------------------------------------
    P("arrest_k", 2.3, 1.0, 4.0, "dimensionless", "Epstein's constant k in the estimated arrest probability P = 1 - exp(-k * C/A).", "epstein2002", "parameter", "population"),
    P("active_threshold", 0.1, 0.05, 0.2, "index 0-1", "Threshold T: an agent turns active when grievance minus net risk exceeds it.", "epstein2002", "parameter", "population"),
    P("sympathiser_threshold", 0.0, -0.2, 0.09, "index 0-1", "Threshold above which a non-active agent sympathises with the insurgency.", _A, "parameter", "population"),
    P("arrest_ratio_scale", 0.55, 0.2, 10.0, "troops per active person", "Effective security personnel per active person that count as one Epstein 'cop' per active.", _A, "parameter", "population"),
    P("active_floor", 0.01, 0.001, 0.05, "share", "Least share of residents counted as visible actives in the arrest-risk ratio (avoids dividing by zero).", _A, "parameter", "population"),
    P("is_rule_risk", 0.5, 0.0, 1.0, "probability", "Perceived risk of active support for IS while living under its rule (air strikes, later prosecution).", _A, "parameter", "population"),
    P("police_per_1000", 12.0, 2.0, 25.0, "police per 1,000 residents", "Local police in every area not fully held by IS (in Syria: the internal security of whoever holds it); they deter and find cells but do not fight offensives.", _A, "parameter", "population"),
    P("police_eff", 0.3, 0.05, 1.0, "multiplier", "Effectiveness of a local police officer relative to an army soldier.", _A, "parameter", "population"),
    P("hardship_is_rule", 0.20, 0.0, 0.4, "index 0-1", "Added hardship of living under IS rule.", _A, "parameter", "population"),
    P("hardship_base", 0.10, 0.0, 0.40, "index 0-1", "Mean baseline hardship (economic and physical insecurity) of a household.", _A, "parameter", "population"),
    P("hardship_spread", 0.15, 0.0, 0.3, "index 0-1", "Half-width of the uniform spread of baseline hardship across households.", _A, "parameter", "population"),
    P("hardship_displaced", 0.15, 0.05, 0.45, "index 0-1", "Added hardship while displaced.", _A, "parameter", "population"),
    P("hardship_destruction", 0.20, 0.0, 0.5, "index 0-1", "Added hardship per unit of destruction in the area where a household lives.", _A, "parameter", "population"),
    P("hardship_family", 0.30, 0.0, 0.5, "index 0-1", "Added hardship of IS-affiliated families under a punitive policy (scaled by 1 - family_policy).", "hrw-families-2018", "parameter", "population"),
    P("hardship_services", 0.20, 0.0, 0.4, "index 0-1", "Added hardship where public services are missing (times 1 - services; services fall with destruction and recover with aid).", "berman2011", "parameter", "population"),
    P("legitimacy_gain_rate", 0.05, 0.01, 0.20, "per month", "Share of the gap that perceived legitimacy closes each month when its target is above it (trust is gained slowly).", _A, "parameter", "population"),
    P("legitimacy_loss_rate", 0.20, 0.05, 0.50, "per month", "Share of the gap that perceived legitimacy closes each month when its target is below it (trust is lost fast).", _A, "parameter", "population"),
    P("activation_spread", 0.03, 0.0, 0.1, "index 0-1", "Spread of the activation thresholds of the persons of a cohort around the threshold (logistic scale): mobilization grows smoothly with net grievance, not all at once.", "granovetter1978", "parameter", "population"),
    P("mobilization_rate", 0.3, 0.05, 1.0, "per month", "Share of the gap that a cohort's active and engaged shares close each month when they rise.", _A, "parameter", "population"),
    P("demobilization_rate", 0.1, 0.01, 1.0, "per month", "Share of the gap that they close each month when they fall (mobilization has memory).", _A, "parameter", "population"),
    P("reform_build_months", 18.0, 3.0, 48.0, "months", "Mean lag before an improvement of a political lever (inclusion, reconciliation, militia discipline, family policy) is believed: the perceived policy closes 1/this of the gap each month.", "walter2004", "parameter", "population"),
    P("reform_reversal_months", 3.0, 1.0, 12.0, "months", "Mean lag before a reversal of a political lever is felt (broken promises are noticed quickly).", _A, "parameter", "population"),
    P("aid_delay_months", 6.0, 1.0, 24.0, "months", "Mean delay between aid committed and services delivered (a first-order lag; projects take months to reach people).", "sigir2013", "parameter", "government"),
    P("aid_capture_base", 0.13, 0.0, 0.4, "share", "Share of aid lost to waste and fraud everywhere.", "sigir2013", "parameter", "government"),
    P("aid_capture_militia", 0.3, 0.0, 0.6, "share", "Added share of aid captured where undisciplined militias hold ground (times the PMF share of the garrison and 1 - perceived discipline).", _A, "parameter", "government"),
    P("aid_security_half", 20.0, 2.0, 200.0, "incidents per month per million residents", "Violence at which aid turns into half the services it would in a secure area (aid works where security allows it).", "berman2013", "parameter", "government"),
    P("services_reference", 0.5, 0.0, 1.0, "index 0-1", "Level of services that neither adds nor takes legitimacy.", _A, "parameter", "population"),
    P("abuse_tension_weight", 0.5, 0.0, 1.0, "share", "Share of militia abuse that scales with sectarian tension (abuse x (1 - w + w x tension)).", _A, "parameter", "politics"),
    P("foreign_presence_backlash", 0.03, 0.0, 0.15, "index 0-1", "Legitimacy lost among Shia and Sunni Arabs at the reference foreign presence (nationalist opposition to foreign troops).", "edelstein2008", "parameter", "coalition"),
    P("hardliner_inclusion", 0.3, 0.0, 1.0, "index 0-1", "Shia hardliner mobilization at full perceived Sunni inclusion.", "cederman2010", "parameter", "politics"),
    P("hardliner_reconciliation", 0.3, 0.0, 1.0, "index 0-1", "Hardliner mobilization at full perceived reconciliation (amnesty seen as impunity).", _A, "parameter", "politics"),
    P("hardliner_tension", 0.02, 0.0, 0.1, "per month", "Rise in sectarian tension per month at full hardliner mobilization.", _A, "parameter", "politics"),
    P("legit_hardliner_effect", 0.15, 0.0, 0.4, "index 0-1", "Legitimacy among Shia Arabs lost at full hardliner mobilization.", _A, "parameter", "politics"),
    P("legit_reconciliation_backlash", 0.10, 0.0, 0.3, "index 0-1", "Legitimacy among Yazidis lost at full perceived reconciliation (victims of IS see impunity).", "hrw-families-2018", "parameter", "politics"),
    P("family_return_tension", 0.02, 0.0, 0.1, "per 10,000 persons", "Rise in sectarian tension per 10,000 members of IS-affiliated families returning home in a month (revenge, community rejection).", "hrw-families-2018", "parameter", "politics"),
    P("population_growth", 0.025, 0.0, 0.035, "share per year", "Natural growth of the population of Iraq (births minus deaths from other causes).", "un-wpp-2019", "parameter", "population"),
    P("legit_inclusion_effect", 0.30, 0.0, 0.6, "index 0-1", "Legitimacy among Sunni Arabs gained from full Sunni inclusion.", "essay-politics-first", "parameter", "population"),
    P("legit_reconciliation_effect", 0.20, 0.0, 0.4, "index 0-1", "Legitimacy gained by every group from full reconciliation.", "essay-politics-first", "parameter", "population"),
    P("legit_services_effect", 0.15, 0.0, 0.4, "index 0-1", "Legitimacy gained from full public services in the area.", "berman2011", "parameter", "population"),
    P("legit_abuse_effect", 0.40, 0.0, 0.8, "index 0-1", "Legitimacy among Sunni Arabs lost at full militia abuse in the area.", "hrw-pmf-abuses", "parameter", "population"),
    P("legit_civ_harm_effect", 0.10, 0.0, 0.4, "index 0-1 per death per 1,000 residents", "Legitimacy lost per civilian killed by government or coalition per 1,000 residents (remembered harm).", "condra2012", "parameter", "population"),
    P("legit_is_harm_effect", 0.05, 0.0, 0.2, "index 0-1 per death per 1,000 residents", "Legitimacy gained (support for IS lost) per civilian killed by IS per 1,000 residents.", "condra2012", "parameter", "population"),
    P("legit_tension_effect", 0.20, 0.0, 0.4, "index 0-1", "Legitimacy among minority-in-power groups (Sunni Arabs) lost at full sectarian tension.", _A, "parameter", "population"),
    P("legit_kirkuk_effect", 0.30, 0.0, 0.5, "index 0-1", "Legitimacy among Kurds and Turkmen lost at full disputed-territories tension.", _A, "parameter", "population"),
    P("legit_family_effect", 0.25, 0.0, 0.5, "index 0-1", "Legitimacy among IS-affiliated families lost under a fully punitive policy.", "hrw-families-2018", "parameter", "population"),
    P("harm_memory", 0.85, 0.5, 0.97, "share per month", "Share of last month's remembered civilian harm carried into this month.", _A, "parameter", "population"),
    P("aid_half_saturation", 8.0, 1.0, 40.0, "USD per person per month", "Aid per resident per month at which services recover 63% (1 - 1/e) of what destruction took.", _A, "parameter", "government"),
    # ---- military operations -------------------------------------------------------------------
    P("op_max_concurrent", 4, 1, 6, "operations", "Offensives the Iraqi command can run at the same time (autumn 2017: Tal Afar, Hawija, Shirqat east bank, western Anbar).", "hawija-offensive-2017,P17", "parameter", "operations", integer=True),
    P("op_pause_months", 0, 0, 3, "months", "Whole months the forces of a finished offensive rest before the next one begins.", _A, "parameter", "operations", integer=True),
    P("op_min_ratio", 3.0, 1.0, 10.0, "dimensionless", "Effective force ratio an offensive needs before it starts.", "mearsheimer1989", "parameter", "operations"),
    P("clear_rate_urban", 0.14, 0.04, 0.40, "share per month", "Largest share of an urban area's IS-held part retaken in one month.", "mosul-battle", "parameter", "operations"),
    P("clear_rate_rural", 0.80, 0.20, 1.00, "share per month", "Largest share of a rural or riverine area's IS-held part retaken in one month.", _A, "parameter", "operations"),
    P("clear_rate_desert", 0.90, 0.20, 1.00, "share per month", "Largest share of a desert area's IS-held part retaken in one month.", _A, "parameter", "operations"),
    P("clear_rate_mountain", 0.45, 0.10, 1.00, "share per month", "Largest share of a mountain area's IS-held part retaken in one month.", _A, "parameter", "operations"),
    P("force_ratio_half", 15.0, 3.0, 40.0, "dimensionless", "Effective force ratio at which clearing runs at half its largest rate.", _A, "parameter", "operations"),
    P("terrain_defence_urban", 3.0, 1.0, 6.0, "multiplier", "Defensive multiplier of IS fighters in urban terrain.", _A, "parameter", "operations"),
    P("terrain_defence_mountain", 2.0, 1.0, 4.0, "multiplier", "Defensive multiplier of IS fighters in mountains and hills.", _A, "parameter", "operations"),
    P("is_combat_loss", 0.30, 0.05, 0.60, "share per month", "Share of defending IS fighters killed per month at full offensive pressure.", _A, "parameter", "operations"),
    P("gov_loss_per_defender", 0.06, 0.01, 0.20, "deaths per defender-month", "Security-force deaths per defending IS fighter per month of offensive, times terrain defence.", _A, "parameter", "operations"),
    P("withdraw_rate", 0.15, 0.0, 0.5, "share per month", "Share of defending fighters that slip out to a refuge each month under pressure.", "essay-refuge-hills", "parameter", "operations"),
    P("stay_behind", 0.5, 0.0, 1.0, "share", "Share of an area's last defenders who stay behind as cells when it falls; the rest fall back on the nearest IS-held pocket or refuge.", _A, "parameter", "operations"),
    P("civ_harm_urban", 0.030, 0.005, 0.08, "deaths per affected person", "Civilian deaths per person in the retaken part of an urban area, at zero precision.", "mosul-civilian-deaths", "parameter", "operations"),
    P("civ_harm_open", 0.004, 0.0, 0.02, "deaths per affected person", "Civilian deaths per person in the retaken part of a non-urban area, at zero precision.", _A, "parameter", "operations"),
    P("civ_harm_is_share", 0.35, 0.1, 0.6, "share", "Share of civilian deaths in offensives caused by IS (executions, human shields).", "mosul-civilian-deaths", "parameter", "operations"),
    P("displace_urban", 0.55, 0.2, 0.9, "share", "Share of households in the retaken part of an urban area displaced by the fighting.", "ocha-mosul-2017-04", "parameter", "displacement"),
    P("displace_open", 0.30, 0.05, 0.7, "share", "Share of households in the retaken part of a non-urban area displaced by the fighting.", _A, "parameter", "displacement"),
    P("destruction_urban", 0.6, 0.1, 1.0, "index 0-1", "Destruction left in the retaken part of an urban area.", _A, "parameter", "displacement"),
    P("destruction_open", 0.25, 0.0, 0.8, "index 0-1", "Destruction left in the retaken part of a non-urban area.", _A, "parameter", "displacement"),
    P("precision_base", 0.3, 0.0, 0.7, "index 0-1", "Precision of fires without coalition support (share of civilian harm avoided).", "bennett2008", "parameter", "coalition"),
    P("precision_coalition", 0.6, 0.0, 0.9, "index 0-1", "Precision added by full coalition air and advisory support.", "bennett2008", "parameter", "coalition"),
    P("coalition_support_half", 4000, 1000, 15000, "troops", "US plus partner troops present at which coalition support reaches half its full effect.", _A, "parameter", "coalition", integer=True),
    P("coalition_support_shape", 1.5, 1.0, 3.0, "dimensionless", "Steepness of coalition support in the troops present (Hill exponent): above 1, the first troops add little support.", _A, "parameter", "coalition"),
    P("coalition_effect_offensive", 1.95, 0.0, 3.0, "multiplier", "Added effectiveness of Iraqi forces in offensives with full coalition support (1 + this): advisers, air strikes, intelligence.", "calibration-2017", "parameter", "coalition"),
    P("coalition_effect_policing", 0.35, 0.0, 1.5, "multiplier", "Added effectiveness of Iraqi forces in everyday security (garrisons, sweeps) with full coalition support (1 + this).", _A, "parameter", "coalition"),
    P("coalition_air_share", 0.5, 0.0, 1.0, "share", "Part of the coalition's effect on offensives that depends on air support.", _A, "parameter", "coalition"),
    P("us_troops_reference", 5200, 1000, 10000, "troops", "US troop level at which the non-US partners are present in full (the 2017 level); they scale with the US presence.", "coalition-size-2017", "parameter", "coalition", integer=True),
    P("us_adjust_months", 3.0, 1.0, 12.0, "months", "Mean lag of the US presence behind a new troop level (deployment and withdrawal take months).", _A, "parameter", "coalition"),
    P("partner_adjust_months", 6.0, 1.0, 24.0, "months", "Mean lag of the non-US partners behind the US presence.", _A, "parameter", "coalition"),
    P("support_build_months", 6.0, 1.0, 24.0, "months", "Mean lag for coalition support (advising, intelligence networks) to build up to a larger presence.", _A, "parameter", "coalition"),
    P("support_decay_months", 12.0, 3.0, 36.0, "months", "Mean lag for coalition support to decay after a drawdown (capabilities and networks erode over months, not at once).", _A, "parameter", "coalition"),
    P("militia_attack_rate", 0.5, 0.0, 3.0, "attacks per month per 1,000 US troops", "Militia attacks on coalition forces per 1,000 US troops present, at zero militia discipline and full sectarian tension.", _A, "parameter", "coalition"),
    P("militia_force_protection", 0.1, 0.0, 0.5, "per attack", "Relative cut in coalition support per monthly militia attack on coalition forces (force protection curtails advising).", _A, "parameter", "coalition"),
    P("tension_militia", 0.005, 0.0, 0.05, "per attack", "Rise in sectarian tension per militia attack on coalition forces.", _A, "parameter", "politics"),
    P("border_troops_full", 20000, 2000, 60000, "troops", "Troops needed to interdict all cross-border movement (border control 1); taken from the mobile forces and posted in the border areas.", _A, "parameter", "security", integer=True),
    P("op_weight_floor", 50.0, 0.0, 500.0, "fighters", "Added weight of every offensive when the mobile forces are spread by the defence each faces.", _A, "parameter", "operations"),
    P("offensive_noise", 0.3, 0.0, 0.8, "coefficient of variation", "Month-to-month variation of an offensive's progress (gamma-distributed around the force-ratio rate): battles go faster or slower than planned.", _A, "parameter", "operations"),
    P("sweep_clear_rate", 0.10, 0.0, 0.5, "share per month", "Largest share of an IS sanctuary (a held refuge without residents under IS) that sweeps by idle forces clear in a month.", _A, "parameter", "operations"),
    P("seize_ratio", 0.4, 0.05, 1.5, "fighters per effective troop", "Ratio of supported IS fighters to effective local security above which IS can seize territory.", _A, "parameter", "insurgency"),
    P("refuge_cover", 0.5, 0.0, 0.9, "share", "Share of detection that the cover of hills, deserts and havens denies.", "essay-refuge-hills", "parameter", "insurgency"),
    P("seize_rate", 0.10, 0.01, 0.4, "share per month", "Largest share of an area IS can seize in one month once it outnumbers the garrison.", _A, "parameter", "insurgency"),
    P("garrison_per_1000", 8.0, 2.0, 25.0, "troops per 1,000 residents", "Holding force the state leaves per 1,000 residents of a retaken area (Quinlivan: 20 for full stabilization).", "quinlivan1995", "parameter", "operations"),
    P("force_eff_army", 1.0, 0.3, 2.0, "multiplier", "Combat effectiveness of an Iraqi Army soldier (the reference).", _A, "parameter", "operations"),
    P("force_eff_cts", 2.0, 1.0, 4.0, "multiplier", "Combat effectiveness of a Counter Terrorism Service soldier relative to the army.", "warontherocks-cts-2017", "parameter", "operations"),
    P("force_eff_federal_police", 0.8, 0.3, 1.5, "multiplier", "Combat effectiveness of a Federal Police officer relative to the army.", _A, "parameter", "operations"),
    P("force_eff_pmf", 0.8, 0.3, 1.5, "multiplier", "Combat effectiveness of a PMF fighter relative to the army.", _A, "parameter", "operations"),
    P("force_eff_tribal", 0.5, 0.2, 1.2, "multiplier", "Combat effectiveness of a tribal fighter relative to the army.", _A, "parameter", "operations"),
    P("force_eff_peshmerga", 0.8, 0.3, 1.5, "multiplier", "Combat effectiveness of a Peshmerga fighter relative to the army.", _A, "parameter", "operations"),
    P("garrison_min", 1000, 0, 5000, "troops", "Least holding force the state leaves in a retaken area, however few its residents.", _A, "parameter", "operations", integer=True),
    # ---- insurgency ----------------------------------------------------------------------------
    P("attack_rate", 0.06, 0.01, 0.20, "incidents per fighter-month", "Attacks per clandestine fighter per month at full local support.", _A, "parameter", "insurgency"),
    P("support_floor", 0.25, 0.0, 1.0, "share", "Attack capacity of cells with no local support, relative to full support.", _A, "parameter", "insurgency"),
    P("holding_attack_share", 0.5, 0.0, 1.0, "multiplier", "Attacks per holding fighter relative to a clandestine fighter.", _A, "parameter", "insurgency"),
    P("support_concealment", 0.5, 0.0, 1.0, "share", "Share of detection that local support denies at full support (sympathisers hide cells).", "kalyvas2006", "parameter", "insurgency"),
    P("exposure_detection", 2.0, 0.0, 5.0, "multiplier", "Added detection of cells, relative, where no resident belongs to the communities IS recruits from: strangers are reported.", "kalyvas2006", "parameter", "insurgency"),
    P("refuge_search_persons", 250000, 10000, 2000000, "persons", "Search burden of a refuge's terrain, counted as residents in the security density that finds cells there.", _A, "parameter", "insurgency", integer=True),
    P("sanctuary_sortie", 0.10, 0.0, 0.5, "share per month", "Share of the fighters holding a sanctuary who go out each month as cells to the neighbouring area where they hide best.", "essay-refuge-hills", "parameter", "insurgency"),
    P("seize_support_base", 0.5, 0.0, 1.0, "multiplier", "Strength of cells in the seizure ratio with no local support (plus the support share).", _A, "parameter", "insurgency"),
    P("seize_min_residents", 1000, 0, 20000, "persons", "Least residents for an area to count as governed territory (offensives, seizure, territorial defeat); emptier areas are terrain IS can hold as a sanctuary.", _A, "parameter", "insurgency", integer=True),
    P("leadership_strike_rate", 0.03, 0.0, 0.2, "probability per month", "Chance per month, at full coalition support, air and intelligence, that a top IS leader is killed.", "johnston2012", "parameter", "insurgency"),
    P("leadership_loss_effect", 0.3, 0.0, 0.7, "share", "Share of IS attack capacity lost right after a leadership loss.", "johnston2012", "parameter", "insurgency"),
    P("leadership_recovery_months", 6.0, 1.0, 24.0, "months", "Mean time for IS attack capacity to recover after a leadership loss.", _A, "parameter", "insurgency"),
    P("mass_casualty_share", 0.4, 0.0, 0.8, "share", "Share of civilians killed by insurgent attacks who die in mass-casualty attacks.", "ibc-2017", "parameter", "insurgency"),
    P("mass_casualty_size", 25.0, 5.0, 100.0, "deaths per attack", "Mean civilians killed in a mass-casualty attack (deaths per attack are geometric, a heavy tail).", "ibc-2017", "parameter", "insurgency"),
    P("civ_deaths_per_incident", 1.2, 0.3, 4.0, "deaths per incident", "Civilians killed per insurgent incident.", _A, "parameter", "insurgency"),
    P("sec_deaths_per_incident", 0.4, 0.1, 2.0, "deaths per incident", "Security personnel killed per insurgent incident.", _A, "parameter", "insurgency"),
    P("detect_rate", 0.10, 0.01, 0.40, "share per month", "Share of clandestine fighters killed or captured per month at full intelligence and security density.", _A, "parameter", "insurgency"),
    P("detect_kill_share", 0.5, 0.0, 1.0, "share", "Share of the cells caught who are killed (the rest captured); the killed count as battle-related deaths.", _A, "parameter", "insurgency"),
    P("strike_rate", 0.03, 0.0, 0.15, "share per month", "Share of clandestine IS fighters in Iraq killed per month by coalition strikes at full support and air.", _A, "parameter", "coalition"),
    P("intel_base", 0.35, 0.0, 1.0, "index 0-1", "Intelligence for finding cells without coalition support.", _A, "parameter", "coalition"),
    P("intel_coalition", 0.53, 0.0, 1.0, "index 0-1", "Intelligence added by full coalition support.", "paul2010", "parameter", "coalition"),
    P("security_density_half", 10.0, 1.0, 40.0, "troops per 1,000 residents", "Security density at which detection runs at half its largest rate.", "quinlivan1995", "parameter", "insurgency"),
    P("recruit_rate", 0.0005, 0.00005, 0.005, "share per month", "Share of active Sunni Arab and Turkmen persons IS recruits per month where it is present.", _A, "parameter", "insurgency"),
    P("recruit_remote", 0.2, 0.0, 1.0, "multiplier", "Recruitment where IS has no fighters in the area, relative to where it has.", _A, "parameter", "insurgency"),
    P("fighter_attrition", 0.01, 0.0, 0.05, "share per month", "Share of fighters lost each month to desertion, surrender and accidents.", _A, "parameter", "insurgency"),
    P("cell_mobility", 0.25, 0.0, 0.8, "share per month", "Share of a hunted cell's fighters that move to a safer neighbouring area each month.", _A, "parameter", "insurgency"),
    P("haven_resupply", 0.06, 0.0, 0.2, "share per month", "Share of haven fighters sent across the border each month when unimpeded.", "connable2010,essay-syria-havens", "parameter", "havens"),
    P("haven_growth", 0.02, 0.0, 0.10, "share per month", "Growth of haven fighters per month at full haven capacity (foreign and local recruits).", "paul2010", "parameter", "havens"),
    P("haven_decay", 0.08, 0.0, 0.3, "share per month", "Share of haven capacity destroyed per month at full Syria campaign intensity.", _A, "parameter", "havens"),
    P("haven_regrowth", 0.04, 0.0, 0.2, "share per month", "Share of lost haven capacity rebuilt per month without a campaign.", _A, "parameter", "havens"),
    P("syria_max_concurrent", 3, 1, 4, "operations", "Offensives partner forces can run against the Syrian havens at the same time.", "calibration-2017", "parameter", "havens", integer=True),
    P("syria_clear_scale", 0.92, 0.1, 1.5, "multiplier", "Clearing speed of partner forces in Syria relative to Iraqi forces with full coalition support.", "calibration-2017", "parameter", "havens"),
    P("haven_fighter_ceiling", 6000, 1000, 20000, "fighters", "Fighters a haven can house and train at full capacity (the ceiling of its growth).", "cia-is-2014", "parameter", "havens", integer=True),
    P("haven_ground_floor", 0.2, 0.0, 1.0, "index 0-1", "Haven capacity IS keeps in a Syrian area it no longer holds (desert hideouts), relative to a fully held one.", _A, "parameter", "havens"),
    P("haven_offensive_ratio", 3.0, 1.0, 10.0, "dimensionless", "Haven fighters x capacity over the policing of the Iraqi border area at which a haven crosses in force.", _A, "parameter", "havens"),
    P("haven_offensive_share", 0.3, 0.05, 0.8, "share", "Largest share of a haven's fighters that cross in force in one month.", _A, "parameter", "havens"),
    P("haven_recruit_boost", 0.5, 0.0, 2.0, "multiplier", "Relative rise of recruitment in Iraq per unit of haven strength above April 2017 (money, trainers, propaganda).", "paul2010", "parameter", "havens"),
    P("haven_attack_boost", 0.3, 0.0, 2.0, "multiplier", "Relative rise of IS attack capacity in Iraq per unit of haven strength above April 2017.", "paul2010", "parameter", "havens"),
    # ---- politics ------------------------------------------------------------------------------
    P("abuse_rate", 0.6, 0.0, 1.0, "index 0-1", "Militia abuse level in an area fully held by undisciplined militias.", "hrw-pmf-abuses", "parameter", "politics"),
    P("tension_violence", 0.01, 0.0, 0.1, "per death per 100,000 residents", "Rise in sectarian tension per monthly death per 100,000 residents.", _A, "parameter", "politics"),
    P("tension_abuse", 0.05, 0.0, 0.2, "per month", "Rise in sectarian tension per month at full national militia abuse.", _A, "parameter", "politics"),
    P("tension_decay", 0.04, 0.0, 0.2, "share per month", "Share of sectarian tension that fades each month without reconciliation.", _A, "parameter", "politics"),
    P("tension_reconciliation", 0.08, 0.0, 0.3, "share per month", "Added share of sectarian tension that fades each month at full reconciliation.", _A, "parameter", "politics"),
    P("tension0", 0.5, 0.1, 0.9, "index 0-1", "Sectarian tension in the initial month.", _A, "initial", "politics"),
    P("kirkuk_shock", 0.6, 0.0, 1.0, "index 0-1", "Rise in disputed-territories tension in a month with a full independence-referendum shock.", "kurdish-referendum-2017", "parameter", "politics"),
    P("kirkuk_crisis_threshold", 0.5, 0.2, 0.9, "index 0-1", "Disputed-territories tension above which the Kirkuk crisis (federal forces take over the disputed areas) becomes possible.", "kirkuk-crisis-2017", "parameter", "politics"),
    P("kirkuk_decay", 0.05, 0.0, 0.3, "share per month", "Share of disputed-territories tension that fades each month at full settlement.", _A, "parameter", "politics"),
    P("kirkuk_decay_floor", 0.2, 0.0, 1.0, "share", "Share of the decay of disputed-territories tension that happens with no settlement.", _A, "parameter", "politics"),
    P("kirkuk_hazard", 11.5, 0.5, 20.0, "per month", "Monthly hazard of the Kirkuk crisis per unit of disputed-territories tension above the threshold.", "calibration-2017", "parameter", "politics"),
    P("kirkuk_settlement_protection", 0.8, 0.0, 1.0, "share", "Share of the crisis hazard removed by a full settlement.", _A, "parameter", "politics"),
    P("kirkuk_replacement_share", 0.5, 0.0, 1.0, "share", "Federal troops sent to the vacated disputed areas per departed Peshmerga.", "kirkuk-crisis-2017", "parameter", "politics"),
    P("kirkuk_replacement_cap", 0.2, 0.0, 0.5, "share", "Largest share of the Iraqi mobile forces sent to the disputed areas in a crisis.", _A, "parameter", "politics"),
    P("coordination_loss", 0.4, 0.0, 0.9, "share", "Loss of security effectiveness in disputed areas at full disputed-territories tension.", "kirkuk-crisis-2017", "parameter", "politics"),
    P("kirkuk0", 0.2, 0.0, 0.6, "index 0-1", "Disputed-territories tension in the initial month.", _A, "initial", "politics"),
    # ---- displacement and return ---------------------------------------------------------------
    P("return_rate", 0.088, 0.005, 0.15, "share per month", "Share of displaced households returning per month to a safe, serviced, rebuilt home area.", "calibration-2017,iom-dtm-2017", "parameter", "displacement"),
    P("protracted_share", 0.31, 0.0, 0.7, "share", "Share of households whose displacement becomes protracted (property destroyed, no security clearance, disputed home area).", "calibration-2017,iom-dtm-2017", "initial", "displacement"),
    P("protracted_return", 0.1, 0.0, 1.0, "multiplier", "Return rate of protracted displaced households relative to others.", _A, "parameter", "displacement"),
    P("family_return_floor", 0.2, 0.0, 1.0, "multiplier", "Return rate of IS-affiliated families under a fully punitive policy, relative to others (1 when reintegrated).", "hrw-families-2018", "parameter", "displacement"),
    P("return_destruction_effect", 0.5, 0.0, 1.0, "share", "Share of returns deterred by full destruction of the home area.", _A, "parameter", "displacement"),
    P("reconstruction_rate", 0.04, 0.0, 0.2, "share per month", "Share of destruction repaired per month at full services in the area.", _A, "parameter", "displacement"),
    P("violence_displacement", 0.001, 0.0, 0.01, "share per incident per 1,000 residents", "Share of households displaced per month per monthly incident per 1,000 residents.", _A, "parameter", "displacement"),
    # ---- outcomes ------------------------------------------------------------------------------
    P("retaken_threshold", 0.02, 0.0, 0.2, "share", "IS share of an area below which the area counts as retaken.", _A, "parameter", "outcomes"),
    P("resurgence_share", 0.10, 0.02, 0.5, "share", "IS share of a governed Iraqi area, after territorial defeat, that counts as a territorial resurgence.", _A, "parameter", "outcomes"),
    P("conflict_threshold", 25, 10, 100, "battle-related deaths per year", "Yearly battle-related deaths at which a conflict counts as armed conflict (UCDP: 25; a stricter count may be chosen).", "ucdp", "parameter", "outcomes", integer=True),
    P("war_threshold", 1000, 500, 2500, "battle-related deaths per year", "Yearly battle-related deaths at which a conflict counts as war (UCDP: 1,000; a stricter count may be chosen).", "ucdp", "parameter", "outcomes", integer=True),
    P("stability_is_scale", 1000000, 100000, 5000000, "persons", "Persons under IS at which the territory part of the stability index reaches 0.", _A, "parameter", "outcomes", integer=True),
    P("stability_idp_share", 0.1, 0.02, 0.3, "share of the population", "Displaced share of the population at which the homes part of the stability index reaches 0.", _A, "parameter", "outcomes"),
    P("stability_incident_scale", 300.0, 50.0, 2000.0, "incidents per month", "Monthly incidents at which the stability index's violence part falls to 1/e.", _A, "parameter", "outcomes"),
    # ---- technical -----------------------------------------------------------------------------
    P("persons_per_agent", 2500, 250, 50000, "persons", "Resolution: persons represented by one population agent (household cohort).", _A, "technical", "technical", integer=True),
]
# fmt: on

REGISTRY: MappingProxyType[str, Parameter] = MappingProxyType({p.name: p for p in _ENTRIES})
if len(REGISTRY) != len(_ENTRIES):  # pragma: no cover - guards against a duplicated name
    raise RuntimeError("duplicate parameter name in the registry")

LEVERS: tuple[str, ...] = tuple(p.name for p in _ENTRIES if p.kind in ("lever", "event"))
PARAMETERS: tuple[str, ...] = tuple(p.name for p in _ENTRIES if p.kind not in ("lever", "event"))


def defaults() -> dict[str, float]:
    """Every registry name mapped to its default value."""
    return {p.name: p.default for p in _ENTRIES}


def get(name: str) -> Parameter:
    """The registry entry for ``name`` (KeyError if unknown)."""
    return REGISTRY[name]


def markdown_table() -> str:
    """The registry as the Markdown page docs/parameters.md."""
    lines = [
        "# Parameters and levers",
        "",
        "Generated from `model/simulation/parameters.py` by `stabsim params --markdown`; do not edit by hand.",
        "Sources are ids in `seeds/facts.yaml` or `seeds/references.yaml`, or `assumption`.",
        "",
    ]
    for kind in KINDS:
        rows = [p for p in _ENTRIES if p.kind == kind]
        lines += [f"## {kind.capitalize()}s ({len(rows)})", ""]
        lines += [
            "| name | default | range | unit | meaning | source |",
            "|---|---|---|---|---|---|",
        ]
        for p in rows:
            rng = f"{_fmt(p.low)} - {_fmt(p.high)}"
            meaning = p.meaning
            if p.choices:
                meaning += (
                    " Named values: "
                    + ", ".join(f"`{k}`={_fmt(v)}" for k, v in p.choices.items())
                    + "."
                )
            lines.append(
                f"| `{p.name}` | {_fmt(p.default)} | {rng} | {p.unit} | {meaning} | {p.source} |"
            )
        lines.append("")
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:,.0f}"
