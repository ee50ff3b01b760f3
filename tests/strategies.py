"""Hypothesis strategies for every test, grouped by what they generate.

Tests import them with ``from strategies import ...`` (pytest's ``pythonpath`` holds ``tests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from trialdesk.design import Decision, DoseLadder, SubjectOutcome
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.eligibility import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    Attestation,
    Between,
    Comparator,
    Compare,
    Criterion,
    Decline,
    Fact,
    FactRecord,
    Not,
    Observation,
    Rule,
    RuleSet,
    Section,
    SubjectData,
    Threshold,
    When,
    Within,
)
from trialdesk.protocol.timeframes import DAYS_PER_MONTH, DAYS_PER_WEEK

# --- record JSON ------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
# Any JSON value: what a record field might be replaced by, or a whole page might hold.
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)

# --- criteria text ----------------------------------------------------------------------------

# Words with no list-marker, header, number, colon or trailing small word ("of") in them, so
# a generated list has exactly one reading.
criteria_words = st.sampled_from(
    [
        *("patient", "tumour", "Signed", "consent", "biopsy", "Adequate", "renal", "function"),
        *("prior", "Therapy", "measurable", "disease", "ECOG", "status", "weeks", "known"),
        *("active", "infection", "history", "stable", "brain", "lesion", "Grade", "toxicity."),
    ]
)
criterion_texts = st.lists(criteria_words, min_size=1, max_size=14).map(" ".join)
# Each style numbers its items from 1; Roman and letters stop well before "i"/"v" clash.
criteria_marker_styles = st.sampled_from(
    ["*", "-", "•", "{n}.", "{n}\\.", "{n})", "* {n}\\.", "{roman}.", "{alpha}.", "{alpha})"]
)
inclusion_headers = st.sampled_from(
    [
        *("Inclusion Criteria:", "Inclusion criteria", "INCLUSION CRITERIA"),
        *("Key Inclusion Criteria:", "Inclusion Criteria\uff1a", "**Inclusion Criteria:**"),
    ]
)
exclusion_headers = st.sampled_from(["Exclusion Criteria:", "EXCLUSION CRITERIA", "Exclusion:"])


@dataclass(frozen=True)
class GenItem:
    text: str
    subs: tuple[str, ...]


@dataclass(frozen=True)
class GenRecord:
    """A generated criteria text and the split it must give."""

    text: str
    inclusion: tuple[GenItem, ...]
    exclusion: tuple[GenItem, ...]
    preamble: str | None


def _marker(style: str, n: int) -> str:
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"][n - 1]
    return style.format(n=n, roman=roman, alpha="abcdefgh"[n - 1])


@st.composite
def _wrapped(draw: st.DrawFn, text: str, first: str, indent: int) -> str:
    """``first`` + ``text``, hard-wrapped at random words; continuation lines at any indent."""
    head, *rest = text.split(" ")
    lines = [f"{first} {head}"]
    for word in rest:
        if draw(st.integers(0, 3)) == 0:
            lines.append(" " * draw(st.integers(0, indent + 4)) + word)
        else:
            lines[-1] += f" {word}"
    return "\n".join(lines)


@st.composite
def _list_block(draw: st.DrawFn, items: tuple[GenItem, ...]) -> str:
    """Items in one random marker style, sub-items indented in another, random blank lines."""
    style, sub_style = draw(criteria_marker_styles), draw(criteria_marker_styles)
    out = []
    for n, item in enumerate(items, 1):
        out.append(draw(_wrapped(item.text, _marker(style, n), 0)))
        pad = " " * draw(st.integers(2, 4))
        for k, sub in enumerate(item.subs, 1):
            out.append(draw(_wrapped(sub, pad + _marker(sub_style, k), len(pad))))
        if draw(st.booleans()):
            out.append("")
    return "\n".join(out)


criterion_items = st.builds(
    GenItem, criterion_texts, st.lists(criterion_texts, max_size=3).map(tuple)
)


@st.composite
def criteria_lists(draw: st.DrawFn) -> GenRecord:
    """A list-shaped criteria text: optional lead-in, optional headers, random markers."""
    inclusion = tuple(draw(st.lists(criterion_items, min_size=1, max_size=8)))
    exclusion = tuple(draw(st.lists(criterion_items, max_size=8)))
    preamble = draw(st.none() | criterion_texts)
    parts = [preamble, ""] if preamble else []
    if draw(st.booleans()) or exclusion:
        parts += [draw(inclusion_headers), ""]
    parts.append(draw(_list_block(inclusion)))
    if exclusion:
        parts += ["", draw(exclusion_headers), "", draw(_list_block(exclusion))]
    return GenRecord("\n".join(parts), inclusion, exclusion, preamble)


# Marker-like and header-like fragments glued with arbitrary text, to hunt for crashes.
criteria_fragments = st.sampled_from(
    [
        *("\n", "\n\n", "  ", "\t", "* ", "- ", "-P", "1. ", "1\\. ", "2) ", "(a) ", "a. ", "I. "),
        *("ii. ", "• ", "Inclusion Criteria:", "Exclusion Criteria", "INCLUSION CRITERIA\uff1a"),
        *(" of", ":", ". ", "6. A", "Word", "\r\n", "\\>", "**", " Key Exclusion criteria: "),
    ]
)
criteria_like_text = st.lists(st.one_of(criteria_fragments, st.text(max_size=6)), max_size=40).map(
    "".join
)

# --- time frames ------------------------------------------------------------------------------

UNIT_DAYS = {"Day": 1, "Week": DAYS_PER_WEEK, "Month": DAYS_PER_MONTH}
NUMBER_WORDS = ["one", "six", "twelve", "twenty-four", "thirty", "zero", "eighteen"]
SEPARATORS = [", ", " and ", ", and "]
# Words time frames are made of, so that generated text hits the parser's branches.
TIME_FRAME_TOKENS = [
    "Day", "Days", "Week", "Month", "Year", "Cycle", "cycles", "C2D1", "6", "six", "28",
    "1.5", "-", "-7", ",", "and", "or", "to", "up to", "within", "through", "first", "at",
    "approx.", "~", "(", ")", "21 days", "28-day", "each cycle is", "hours", "minutes",
    "after", "post-dose", "last dose", "randomization", "until", "progression", "Baseline",
    "end of", "treatment", "follow-up", "minus", "of each", "2013", ":", "\u2212",
]  # fmt: skip

short_text = st.text(max_size=300)
time_frame_like_text = st.lists(st.sampled_from(TIME_FRAME_TOKENS), max_size=40).map(" ".join)
# Numbers, as digits or words, with no unit after them.
bare_numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.floats(min_value=0, max_value=1000).map(lambda x: f"{x:.1f}"),
    st.sampled_from(NUMBER_WORDS),
)
non_time_units = st.sampled_from(["patients", "mg/kg", "cells", "times", "cohorts", "doses"])


@st.composite
def time_point_label_lists(draw: st.DrawFn) -> tuple[str, list[tuple[str, int]]]:
    """A "Day 3, Week 2 and Month 1" text and its (label, day) pairs in order."""
    items = draw(
        st.lists(
            st.tuples(st.sampled_from(sorted(UNIT_DAYS)), st.integers(min_value=0, max_value=999)),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    labels = [f"{unit} {n}" for unit, n in items]
    gaps = len(labels) - 1
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=gaps, max_size=gaps))
    text = labels[0] + "".join(sep + label for sep, label in zip(seps, labels[1:], strict=True))
    return text, [(f"{unit} {n}", n * UNIT_DAYS[unit]) for unit, n in items]


# --- dose text --------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

dose_mantissas = st.builds(
    lambda whole, fraction: f"{whole}.{fraction}" if fraction else str(whole),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(["", "0", "5", "25", "125"]),
)
dose_exponents = st.integers(min_value=-9, max_value=12)
# Each notation writes (mantissa, exponent) the way registry records do.
AMOUNT_NOTATIONS = {
    "times-superscript": lambda m, e: f"{m}×10{str(e).translate(_SUPERSCRIPT)}",  # noqa: RUF001
    "spaced-times-superscript": lambda m, e: f"{m} × 10{str(e).translate(_SUPERSCRIPT)}",  # noqa: RUF001
    "x-caret": lambda m, e: f"{m}x10^{e}",
    "spaced-x-e": lambda m, e: f"{m} x 10e{e}",
    "star-caret": lambda m, e: f"{m}*10^{e}",
    "e-notation": lambda m, e: f"{m}E{e:+03d}",
    "middle-dot": lambda m, e: f"{m}·10{str(e).translate(_SUPERSCRIPT)}",
}
amount_notations = st.sampled_from(sorted(AMOUNT_NOTATIONS))
# An amount as a record writes it, and the number it stands for.
written_amounts = st.builds(
    lambda m, e, n: (AMOUNT_NOTATIONS[n](m, e), float(f"{m}e{e}")),
    dose_mantissas,
    dose_exponents,
    amount_notations,
)
dose_units = st.sampled_from(["mg", "mg/kg", "mg/m2", "cells/kg", "ug/kg", "mg/day", "cells"])
# (label, written amount, unit) rows with distinct labels.
dose_level_lists = st.lists(
    st.tuples(st.integers(min_value=-3, max_value=30), written_amounts, dose_units),
    min_size=1,
    max_size=6,
    unique_by=lambda level: level[0],
)
# Numbers that registry texts tie to anything but a dose.
dose_unrelated_sentences = st.lists(
    st.builds(
        lambda template, n, k: template.format(n=n, k=k),
        st.sampled_from(
            [
                "approximately {n} ml of blood is collected",
                "subjects aged ≥ {n} years",
                "treatment lasts {n} days",
                "weight ≥ {n} kg",
                "Cohort {k}: ≥ {n} years to < 18 years",
                "Cohort {k}: {n} patients",
                "Cohort {k} of {n} patients",
                "follow-up on Day {n}",
                "the first dose is given every {n} weeks",
                "creatinine < {n} mg/dL",
                "Level {k} of evidence, {n} studies",
                "{n}% of patients respond",
            ]
        ),
        st.integers(min_value=0, max_value=5000),
        st.integers(min_value=1, max_value=9),
    ),
    min_size=1,
    max_size=6,
)
# Text drawn from the characters dose sentences are made of.
dose_record_like_text = st.text(
    alphabet=st.sampled_from(list("0123456789 ×x^⁰⁵⁻-.,:=()/\nmgkDLdoselvcstarinbhyC")),  # noqa: RUF001
    max_size=120,
)

# --- design text ------------------------------------------------------------------------------

dlt_window_days = st.integers(min_value=1, max_value=120)
# DLT-window sentences with {n} and {unit} to fill in.
dlt_phrasings = st.sampled_from(
    [
        "Dose-limiting toxicities (DLTs) are assessed within {n} {unit} of the first dose.",
        "The DLT observation period is {n} {unit}.",
        "A DLT is any event meeting the DLT criteria during the first {n} {unit}.",
        "DLT evaluation window: {n} {unit}.",
    ]
)
# (unit word, days per unit)
dlt_time_units = st.sampled_from([("days", 1), ("weeks", 7)])
# Sentences with numbers and time spans that say nothing about DLTs.
design_unrelated_sentences = st.lists(
    st.builds(
        lambda template, n: template.format(n=n),
        st.sampled_from(
            [
                "Patients are followed up for {n} days.",
                "Treatment repeats every {n} days for 12 courses.",
                "Response is assessed within {n} weeks of surgery.",
                "Adverse events are recorded during the first {n} days.",
                "Subjects aged {n} years or more are eligible.",
                "The cohort is expanded to {n} subjects.",
            ]
        ),
        st.integers(min_value=0, max_value=999),
    ),
    min_size=1,
    max_size=5,
)
# Text drawn from the characters design sentences are made of.
design_record_like_text = st.text(
    alphabet=st.sampled_from(list("0123456789 +-.,:()\nDLTdoselvcyaiwthnkrfpBOINCRM")),
    max_size=160,
)

# --- study.yaml text --------------------------------------------------------------------------

# Strings that YAML would misread if written bare, plus arbitrary unicode text.
yaml_hostile_words = st.sampled_from(
    ["yes", "no", "null", "~", "true", "1e3", "0x10", "- item", "a: b", "#x", "'", '"', "|", ">"]
)
yaml_free_texts = st.one_of(yaml_hostile_words, st.text(min_size=0, max_size=60))
# A dose level's label: a number or a short text (1 and "1" must stay apart).
dose_level_labels = st.one_of(st.integers(-(10**6), 10**6), st.text(min_size=1, max_size=6))
finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)

# --- 3+3 histories ----------------------------------------------------------------------------

# Ladders by protocol label (the seed's -1, 1, 2 among them), so a label is never an index.
dose_ladders = st.sampled_from(
    [
        DoseLadder((-1, 1, 2)),
        DoseLadder((1,)),
        DoseLadder((1, 2)),
        DoseLadder(("A", "B", "C", "D")),
        DoseLadder((0, 1, 2, 3, 4)),
    ]
)
# At most 4 levels: the exact (Fraction) walk stays fast.
small_dose_ladders = st.sampled_from(
    [DoseLadder((1,)), DoseLadder((1, 2)), DoseLadder((-1, 1, 2)), DoseLadder(("A", "B", "C", "D"))]
)
# Probabilities with small denominators, 0 and 1 included: exact, and edge cases are common.
exact_probabilities = st.builds(Fraction, st.integers(0, 12), st.just(12)) | st.sampled_from(
    [Fraction(0), Fraction(1), Fraction(1, 3), Fraction(1, 7)]
)
# Labels the outcome notation writes: integers, and text with no white space or "]" (text
# that reads as a number or a letter of the notation included).
notation_labels = st.one_of(
    st.integers(),
    st.sampled_from(["1", "-1", "N", "T", "[a", "1a"]),
    st.text(
        st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs"), exclude_characters="]"),
        min_size=1,
        max_size=5,
    ),
)


@st.composite
def three_plus_three_designs(
    draw: st.DrawFn, ladders: st.SearchStrategy[DoseLadder] = dose_ladders
) -> ThreePlusThree:
    """Any 3+3 configuration: a ladder, a start on it, every option value."""
    ladder = draw(ladders)
    return ThreePlusThree(
        ladder,
        draw(st.sampled_from(ladder.labels)),
        deescalate=draw(st.booleans()),
        lower_zero_of_three=draw(st.sampled_from(["expand", "stop"])),
        expand_top=draw(st.booleans()),
    )


@dataclass(frozen=True)
class ThreePlusThreeRun:
    """A trial run by the design itself, and the decision after each cohort (or part)."""

    design: ThreePlusThree
    history: tuple[SubjectOutcome, ...]
    decisions: tuple[Decision, ...]  # decisions[k] follows the first k cohorts


@st.composite
def three_plus_three_runs(draw: st.DrawFn) -> ThreePlusThreeRun:
    """Run a design with random DLT draws until it stops, or cut it short (maybe mid-cohort)."""
    design = draw(three_plus_three_designs())
    history: tuple[SubjectOutcome, ...] = ()
    decisions = [design.decide(history)]
    while not decisions[-1].stop and draw(st.integers(0, 9)) != 0:
        level = decisions[-1].next_level
        assert level is not None
        size = 3 if draw(st.integers(0, 5)) else draw(st.integers(1, 2))
        history += tuple(SubjectOutcome(level, draw(st.booleans())) for _ in range(size))
        decisions.append(design.decide(history))
        if size < 3:
            break
    return ThreePlusThreeRun(design, history, tuple(decisions))


@st.composite
def three_plus_three_scenarios(draw: st.DrawFn) -> tuple[ThreePlusThree, list[Fraction]]:
    """A 3+3 configuration on a small ladder and one exact true DLT probability per dose."""
    design = draw(three_plus_three_designs(small_dose_ladders))
    doses = len(design.ladder)
    return design, draw(st.lists(exact_probabilities, min_size=doses, max_size=doses))


@st.composite
def outcome_histories(draw: st.DrawFn) -> tuple[SubjectOutcome, ...]:
    """Histories the notation can write, from a few levels, so runs at one level are common."""
    levels = draw(st.lists(notation_labels, min_size=1, max_size=4, unique=True))
    subjects = st.builds(SubjectOutcome, st.sampled_from(levels), st.booleans())
    return tuple(draw(st.lists(subjects, max_size=20)))


# --- eligibility rules and subjects -------------------------------------------------------------

ELIGIBILITY_SCREENING_DATE = date(2026, 6, 1)

# (measure, canonical unit, other units a chart may use, one unit that must be refused)
_ELIGIBILITY_MEASURES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("platelets", "10*9/L", ("/uL", "10*3/uL"), "mg/dL"),
    ("creatinine", "mg/dL", ("umol/L",), "U/L"),
    ("ast", "U/L", ("ukat/L",), "g/L"),
    ("haematocrit", "%", ("L/L",), "mg/dL"),
    ("ecog", "{score}", (), "%"),
)
_ELIGIBILITY_FACTS = ("gilberts_syndrome", "anticoagulant_therapy", "acute_exacerbation")
_ELIGIBILITY_DECLINES = (("fvc", "L", "%"), ("six_mwd", "m", "m"))
# Thresholds and values share a coarse grid so that equality at a threshold is common.
_grid_values = st.integers(min_value=0, max_value=40).map(lambda k: Decimal(k) / 4)


@st.composite
def eligibility_leaves(draw: st.DrawFn, criterion: str) -> Rule:
    """One leaf of the rule language over the measures and facts subjects are drawn with."""
    kind = draw(st.sampled_from(("compare", "compare", "range", "relative", "fact", "decline")))
    measure, unit, _, _ = draw(st.sampled_from(_ELIGIBILITY_MEASURES))
    comparator = draw(st.sampled_from(list(Comparator)))
    if kind == "compare":
        threshold = Threshold(value=draw(_grid_values), unit=unit)
        return Compare(
            criterion=criterion, measure=measure, comparator=comparator, threshold=threshold
        )
    if kind == "relative":
        ref = draw(st.sampled_from(("x ULN", "x LLN")))
        threshold = Threshold(value=draw(_grid_values), unit=ref)
        return Compare(
            criterion=criterion, measure=measure, comparator=comparator, threshold=threshold
        )
    if kind == "range":
        low, high = sorted((draw(_grid_values), draw(_grid_values)))
        return Between(
            criterion=criterion,
            measure=measure,
            low=Threshold(value=low, unit=unit),
            high=Threshold(value=high, unit=unit),
            low_inclusive=draw(st.booleans()),
            high_inclusive=draw(st.booleans()),
        )
    if kind == "fact":
        return Fact(criterion=criterion, name=draw(st.sampled_from(_ELIGIBILITY_FACTS)))
    measure, _, amount_unit = draw(st.sampled_from(_ELIGIBILITY_DECLINES))
    return Decline(
        criterion=criterion,
        measure=measure,
        comparator=draw(st.sampled_from((">", ">="))),
        amount=Threshold(value=draw(_grid_values) * 4, unit=amount_unit),
        over_days=draw(st.sampled_from((30, 180))),
        tolerance_days=draw(st.sampled_from((0, 10, 30))),
    )


@st.composite
def eligibility_rules(draw: st.DrawFn, criterion: str = "I1", depth: int = 3) -> Rule:
    """A random rule tree of every node kind, at most ``depth`` levels deep."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        if draw(st.integers(0, 9)) == 0:
            return Attest(criterion=criterion, statement="investigator confirms")
        return draw(eligibility_leaves(criterion))
    kind = draw(st.sampled_from(("all_of", "any_of", "at_least", "not", "when", "within")))
    child = eligibility_rules(criterion, depth - 1)
    if kind in {"all_of", "any_of", "at_least"}:
        items = tuple(draw(st.lists(child, min_size=1, max_size=3)))
        if kind == "at_least":
            n = draw(st.integers(1, len(items)))
            return AtLeast(criterion=criterion, n=n, items=items)
        node = AllOf if kind == "all_of" else AnyOf
        return node(criterion=criterion, items=items)
    return draw(_eligibility_wrappers(kind, criterion, child))


def _eligibility_wrappers(
    kind: str, criterion: str, child: st.SearchStrategy[Rule]
) -> st.SearchStrategy[Rule]:
    if kind == "not":
        return st.builds(Not, criterion=st.just(criterion), item=child)
    if kind == "when":
        return st.builds(When, criterion=st.just(criterion), condition=child, then=child)
    days = st.sampled_from((0, 7, 28, 90))
    return st.builds(Within, criterion=st.just(criterion), days=days, item=child)


@st.composite
def eligibility_rule_sets(draw: st.DrawFn) -> RuleSet:
    """A rule set of 1-4 criteria in both sections."""
    count = draw(st.integers(1, 4))
    criteria = []
    for index in range(count):
        section = draw(st.sampled_from(list(Section)))
        criterion_id = ("I" if section is Section.INCLUSION else "E") + str(index + 1)
        rule = draw(eligibility_rules(criterion_id))
        criteria.append(Criterion(id=criterion_id, section=section, text="generated", rule=rule))
    window = draw(st.sampled_from((0, 14, 28, 365)))
    return RuleSet(criteria=tuple(criteria), lab_window_days=window, lab_window_source="generated")


@st.composite
def eligibility_subjects(draw: st.DrawFn, subject_id: str = "S1") -> SubjectData:
    """A subject with dated observations (some stale, some after screening, some in a unit
    that must be refused, some without reference limits), facts and attestations."""
    screening = ELIGIBILITY_SCREENING_DATE
    days_before = st.integers(min_value=-5, max_value=400)
    observations = []
    for _ in range(draw(st.integers(0, 8))):
        measure, unit, others, refused = draw(st.sampled_from(_ELIGIBILITY_MEASURES))
        chosen = draw(st.sampled_from((unit, unit, *others, refused)))
        with_ref = draw(st.booleans())
        observations.append(
            Observation(
                measure=measure,
                value=draw(_grid_values),
                unit=chosen,
                date=screening - timedelta(days=draw(days_before)),
                source="generated",
                lln=draw(_grid_values) if with_ref else None,
                uln=draw(_grid_values) if with_ref else None,
            )
        )
    for _ in range(draw(st.integers(0, 4))):
        measure, unit, _ = draw(st.sampled_from(_ELIGIBILITY_DECLINES))
        observations.append(
            Observation(
                measure=measure,
                value=draw(_grid_values) * 10,
                unit=unit,
                date=screening - timedelta(days=draw(days_before)),
                source="generated",
            )
        )
    facts = [
        FactRecord(
            name=draw(st.sampled_from(_ELIGIBILITY_FACTS)),
            present=draw(st.booleans()),
            date=draw(st.none() | days_before.map(lambda d: screening - timedelta(days=d))),
            source="generated",
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    attestations = [
        Attestation(
            criterion=draw(st.sampled_from(("I1", "I2", "E1", "E2", "I3", "E3", "I4", "E4"))),
            holds=draw(st.booleans()),
            by="investigator",
            date=screening,
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    birth = draw(st.none() | st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
    return SubjectData(
        subject_id=subject_id,
        screening_date=screening,
        birth_date=birth,
        observations=tuple(observations),
        facts=tuple(facts),
        attestations=tuple(attestations),
    )
