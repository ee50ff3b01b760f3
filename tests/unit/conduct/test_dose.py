"""The infusion dose: level x weight exactly, the weight window's edges, units, each refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.clinical.units import Quantity
from trialdesk.conduct.dose import (
    DOSE_RULE,
    POUND_KG,
    DoseComputation,
    ProductRelease,
    ProductStatus,
    ReleaseResult,
    WeightMeasurement,
    compute_dose,
)
from trialdesk.conduct.dose_rules import (
    PLAUSIBLE_WEIGHT_KG,
    WEIGHT_WINDOW,
    DoseRules,
    ReleaseLimit,
    ReleaseSpec,
    parse_dose_rules,
)
from trialdesk.errors import ConductError, DoseRefusedError
from trialdesk.protocol.doses import DoseLevel
from trialdesk.protocol.notes import Assumption
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.study import Study
from trialdesk.store import load_study

SEED = load_study(Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml")
LEVELS = {level.label: level for level in SEED.dose_levels}

INFUSION = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
VIABILITY = ReleaseLimit("viability", minimum=Quantity.of(70, "%"))
RULES = DoseRules(tolerance_percent=Decimal(20), release_spec=ReleaseSpec((VIABILITY,)))


def weighed(value: str, unit: str = "kg", *, hours_before: float = 24) -> WeightMeasurement:
    return WeightMeasurement(Decimal(value), unit, INFUSION - timedelta(hours=hours_before))


def level(amount: float, unit: str = "cells/kg") -> DoseLevel:
    return DoseLevel(
        label=1,
        order=1,
        amount_as_written=repr(amount),
        unit_as_written=unit,
        amount=amount,
        unit=unit,
        is_start=True,
        source=Source(note="test"),
    )


def lot(cells: str, viability: str = "85") -> ProductRelease:
    return ProductRelease(
        "L-001", Decimal(cells), (ReleaseResult("viability", Quantity.of(viability, "%")),)
    )


def dose(
    weight: WeightMeasurement | None = None,
    *,
    product: ProductRelease | None = None,
    rules: DoseRules = RULES,
    at: datetime = INFUSION,
    dose_level: DoseLevel | None = None,
) -> DoseComputation:
    return compute_dose(
        dose_level or LEVELS[1],
        weight=weight if weight is not None else weighed("70.3"),
        infusion_at=at,
        rules=rules,
        product=product,
    )


def refused(rule: str, **kwargs: object) -> DoseRefusedError:
    with pytest.raises(DoseRefusedError) as caught:
        dose(**kwargs)  # type: ignore[arg-type]
    assert caught.value.rule == rule
    assert f"refused ({rule})" in str(caught.value)
    return caught.value


# --- the arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "target", "lowest", "highest"),
    [
        # The seed's levels (study.yaml dose_levels, from the record's intervention text)
        # x 70.3 kg; the range is +/- 20 %, worked by hand: 0.8 x and 1.2 x the target.
        (-1, "7030000", "5624000", "8436000"),
        (1, "28120000", "22496000", "33744000"),
        (2, "56240000", "44992000", "67488000"),
    ],
)
def test_C4_dosing_seed_levels_times_weight_exactly(
    label: int, target: str, lowest: str, highest: str
) -> None:
    result = dose(dose_level=LEVELS[label])
    assert (result.target_cells, result.lowest_cells, result.highest_cells) == (
        Decimal(target),
        Decimal(lowest),
        Decimal(highest),
    )
    assert result.rule_id == DOSE_RULE == "dose.per_kg_actual_weight"
    assert result.product_status is ProductStatus.NOT_CHECKED


def test_reason_reads_as_the_computation() -> None:
    result = dose(product=lot("28000000"))
    assert result.reason == (
        "dose level 1: 400,000 cells/kg x 70.3 kg (weighed 24 h before the infusion) = "
        "28,120,000 cells; acceptable 22,496,000 to 33,744,000 cells (+/- 20 %); lot L-001 "
        "holds 28,000,000 cells, within tolerance, and meets its release specification "
        "(viability >= 70 %)"
    )
    assert result.product_status is ProductStatus.WITHIN_TOLERANCE


# Amounts as a registry writes them (m x 10^e with a short mantissa), stored as float by
# the study definition; weights in kg to 0.001 kg inside the plausible range.
amounts = st.builds(lambda m, e: Decimal(m).scaleb(e), st.integers(1, 999), st.integers(3, 8))
weights_kg = st.decimals(
    min_value=PLAUSIBLE_WEIGHT_KG[0], max_value=PLAUSIBLE_WEIGHT_KG[1], places=3
)
tolerances = st.decimals(min_value=0, max_value=Decimal("99.9"), places=1)


@given(amount=amounts, kilograms=weights_kg, tolerance=tolerances)
def test_target_is_amount_times_weight_with_no_rounding(
    amount: Decimal, kilograms: Decimal, tolerance: Decimal
) -> None:
    rules = DoseRules(tolerance_percent=tolerance, release_spec=ReleaseSpec(()))
    result = dose(weighed(str(kilograms)), rules=rules, dose_level=level(float(amount)))
    assert Fraction(result.target_cells) == Fraction(amount) * Fraction(kilograms)
    assert Fraction(result.lowest_cells) == Fraction(result.target_cells) * (
        1 - Fraction(tolerance) / 100
    )
    assert Fraction(result.highest_cells) == Fraction(result.target_cells) * (
        1 + Fraction(tolerance) / 100
    )
    assert result.amount_per_kg == amount


@given(kilograms=weights_kg)
def test_grams_and_kilograms_give_the_same_dose(kilograms: Decimal) -> None:
    in_kg = dose(weighed(str(kilograms)))
    in_g = dose(weighed(str(kilograms * 1000), "g"))
    assert in_g.weight_kg == in_kg.weight_kg == kilograms
    assert in_g.target_cells == in_kg.target_cells


# 66.2 lb to 551 lb lies inside 30 to 250 kg.
pounds = st.decimals(min_value=Decimal("66.2"), max_value=Decimal(551), places=2)


@given(value=pounds, code=st.sampled_from(["[lb_av]", "lb"]))
def test_pounds_convert_by_the_exact_international_pound(value: Decimal, code: str) -> None:
    result = dose(weighed(str(value), code))
    assert Fraction(result.weight_kg) == Fraction(value) * Fraction(45359237, 10**8)
    assert Fraction(result.target_cells) == 400_000 * Fraction(value) * Fraction("0.45359237")


def test_pound_factor_is_the_1959_definition() -> None:
    # International Yard and Pound Agreement (1959): 1 lb = 0.453 592 37 kg exactly.
    assert Decimal("0.45359237") == POUND_KG
    # 154 lb x 0.45359237 = 69.85322498 kg; x 4 x 10^5 cells/kg = 27,941,289.992 cells.
    result = dose(weighed("154", "[lb_av]"))
    assert result.weight_kg == Decimal("69.85322498")
    assert result.target_cells == Decimal("27941289.992")


# --- the weight window ------------------------------------------------------------------------


def test_window_default_is_72_hours_and_its_edge_is_inside() -> None:
    assert timedelta(hours=72) == WEIGHT_WINDOW
    assert dose(weighed("70.3", hours_before=72)).weight.measured_at == INFUSION - WEIGHT_WINDOW
    refused(
        "dose.weight_too_old",
        weight=WeightMeasurement(
            Decimal("70.3"), "kg", INFUSION - WEIGHT_WINDOW - timedelta(microseconds=1)
        ),
    )


def test_weight_at_the_infusion_instant_is_used_and_a_moment_after_is_not() -> None:
    assert dose(weighed("70.3", hours_before=0)).weight_kg == Decimal("70.3")
    later = WeightMeasurement(Decimal("70.3"), "kg", INFUSION + timedelta(microseconds=1))
    refused("dose.weight_after_infusion", weight=later)


@given(age=st.timedeltas(min_value=timedelta(0), max_value=WEIGHT_WINDOW))
def test_any_weight_within_the_window_is_used(age: timedelta) -> None:
    measured = WeightMeasurement(Decimal("70.3"), "kg", INFUSION - age)
    assert dose(measured).target_cells == Decimal(28_120_000)


@given(excess=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)))
def test_any_weight_older_than_the_window_is_refused(excess: timedelta) -> None:
    measured = WeightMeasurement(Decimal("70.3"), "kg", INFUSION - WEIGHT_WINDOW - excess)
    refused("dose.weight_too_old", weight=measured)


@given(hours=st.integers(1, 240), extra=st.integers(0, 3600))
def test_the_window_is_the_studys_when_it_sets_one(hours: int, extra: int) -> None:
    window = timedelta(hours=hours)
    rules = DoseRules(tolerance_percent=Decimal(20), release_spec=None, weight_window=window)
    age = timedelta(hours=hours, seconds=extra)
    measured = WeightMeasurement(Decimal("70.3"), "kg", INFUSION - age)
    if extra == 0:
        assert dose(measured, rules=rules).weight_kg == Decimal("70.3")
    else:
        refused("dose.weight_too_old", weight=measured, rules=rules)


def test_elapsed_time_counts_across_time_zones() -> None:
    # 08:00 at UTC+08:00 is 00:00 UTC: 82 h before a 10:00 UTC infusion three days on.
    shanghai = timezone(timedelta(hours=8))
    measured = WeightMeasurement(
        Decimal("70.3"), "kg", datetime(2026, 2, 27, 8, 0, tzinfo=shanghai)
    )
    error = refused("dose.weight_too_old", weight=measured)
    assert "82 h old" in str(error)


# --- the plausible range and the tolerance ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("30", True),
        ("250", True),
        ("29.999", False),
        ("250.001", False),
        ("0", False),
        ("-70", False),
    ],
)
def test_plausible_weight_is_30_to_250_kg_inclusive(value: str, accepted: bool) -> None:
    if accepted:
        assert dose(weighed(value)).weight_kg == Decimal(value)
    else:
        error = refused("dose.weight_implausible", weight=weighed(value))
        assert "30 to 250 kg" in str(error)


@given(share=st.fractions(min_value=Fraction(4, 5), max_value=Fraction(6, 5)))
def test_a_product_inside_the_tolerance_is_accepted(share: Fraction) -> None:
    cells = Decimal(int(28_120_000 * share))  # 0.8 to 1.2 x the target, whole cells
    assert dose(product=lot(str(cells))).product_status is ProductStatus.WITHIN_TOLERANCE


@pytest.mark.parametrize(
    ("cells", "accepted"),
    [("22496000", True), ("33744000", True), ("22495999.999", False), ("33744000.001", False)],
)
def test_tolerance_bounds_are_inside(cells: str, accepted: bool) -> None:
    if accepted:
        assert dose(product=lot(cells)).product == lot(cells)
    else:
        refused("dose.product_outside_tolerance", product=lot(cells))


# --- each refusal -----------------------------------------------------------------------------


def test_missing_weight_is_refused() -> None:
    with pytest.raises(DoseRefusedError) as caught:
        compute_dose(LEVELS[1], weight=None, infusion_at=INFUSION, rules=RULES)
    assert caught.value.rule == "dose.weight_missing"
    assert str(caught.value) == (
        "refused (dose.weight_missing): no body weight is recorded for the infusion day "
        "[inputs: infusion_at=2026-03-02T10:00:00+00:00]"
    )


def test_old_weight_message_names_rule_age_and_inputs() -> None:
    error = refused("dose.weight_too_old", weight=weighed("70.3", hours_before=80.5))
    assert str(error) == (
        "refused (dose.weight_too_old): the weight is 80 h 30 min old at the infusion; at most "
        "72 h is accepted: weigh the subject again [inputs: weight=70.3 kg at "
        "2026-02-27T01:30:00+00:00; infusion_at=2026-03-02T10:00:00+00:00]"
    )
    assert isinstance(error, ConductError)
    assert error.inputs["infusion_at"] == "2026-03-02T10:00:00+00:00"


def test_naive_times_are_refused() -> None:
    naive = WeightMeasurement(Decimal("70.3"), "kg", datetime(2026, 3, 1, 10, 0))  # noqa: DTZ001
    refused("dose.weight_time_zone", weight=naive)
    refused("dose.weight_time_zone", at=datetime(2026, 3, 2, 10, 0))  # noqa: DTZ001


def test_weight_in_a_non_mass_unit_is_refused() -> None:
    refused("dose.weight_unit", weight=weighed("170", "cm"))
    refused("dose.weight_unit", weight=weighed("70", "stone"))


def test_weight_must_be_a_finite_decimal() -> None:
    with pytest.raises(DoseRefusedError, match=r"dose\.weight_implausible"):
        WeightMeasurement(70.3, "kg", INFUSION)  # type: ignore[arg-type]
    with pytest.raises(DoseRefusedError, match=r"dose\.weight_implausible"):
        WeightMeasurement(Decimal("NaN"), "kg", INFUSION)


def test_missing_tolerance_is_refused_not_defaulted() -> None:
    error = refused(
        "dose.tolerance_missing", rules=DoseRules(tolerance_percent=None, release_spec=None)
    )
    assert "dose.product_tolerance" in str(error)


@pytest.mark.parametrize("tolerance", ["-1", "100", "Infinity"])
def test_tolerance_outside_0_to_100_is_refused(tolerance: str) -> None:
    rules = DoseRules(tolerance_percent=Decimal(tolerance), release_spec=None)
    refused("dose.tolerance_invalid", rules=rules)


@pytest.mark.parametrize(
    ("amount", "unit"),
    [(400_000.0, "cells/m2"), (5.0, "mg/kg"), (0.0, "cells/kg"), (-1e5, "cells/kg")],
)
def test_level_must_be_a_positive_amount_of_cells_per_kg(amount: float, unit: str) -> None:
    refused("dose.level_unit", dose_level=level(amount, unit))


def test_product_outside_tolerance_is_refused_with_its_range() -> None:
    error = refused("dose.product_outside_tolerance", product=lot("40000000"))
    assert (
        "lot L-001 holds 40,000,000 cells; the acceptable range is 22,496,000 to 33,744,000"
        in str(error)
    )
    assert error.inputs["cells"] == Decimal(40_000_000)


def test_product_failing_the_release_spec_is_refused() -> None:
    error = refused("dose.release_spec_failed", product=lot("28000000", viability="65"))
    assert "viability: 65 % (required viability >= 70 %)" in str(error)


def test_a_missing_or_incomparable_release_result_fails_the_spec() -> None:
    bare = ProductRelease("L-002", Decimal(28_000_000))
    assert "viability: no result" in str(refused("dose.release_spec_failed", product=bare))
    wrong = ProductRelease(
        "L-003", Decimal(28_000_000), (ReleaseResult("viability", Quantity.of(5, "g/L")),)
    )
    assert "cannot be compared" in str(refused("dose.release_spec_failed", product=wrong))


def test_a_limit_on_both_sides_is_checked_on_both() -> None:
    purity = ReleaseLimit("cd11c", minimum=Quantity.of(60, "%"), maximum=Quantity.of(99, "%"))
    rules = DoseRules(tolerance_percent=Decimal(20), release_spec=ReleaseSpec((purity,)))
    for value, ok in (("60", True), ("99", True), ("59.9", False), ("99.1", False)):
        product = ProductRelease(
            "L", Decimal(28_000_000), (ReleaseResult("cd11c", Quantity.of(value, "%")),)
        )
        if ok:
            assert (
                dose(product=product, rules=rules).product_status is ProductStatus.WITHIN_TOLERANCE
            )
        else:
            refused("dose.release_spec_failed", product=product, rules=rules)


def test_product_without_a_release_spec_is_refused() -> None:
    rules = DoseRules(tolerance_percent=Decimal(20), release_spec=None)
    refused("dose.release_spec_missing", product=lot("28000000"), rules=rules)
    assert dose(rules=rules).product_status is ProductStatus.NOT_CHECKED


def test_an_empty_release_spec_checks_the_count_only() -> None:
    rules = DoseRules(tolerance_percent=Decimal(20), release_spec=ReleaseSpec(()))
    result = dose(product=ProductRelease("L", Decimal(28_000_000)), rules=rules)
    assert result.reason.endswith("meets its release specification (no limits)")


@pytest.mark.parametrize("cells", ["0", "-5", "NaN"])
def test_a_lot_needs_a_positive_count(cells: str) -> None:
    with pytest.raises(DoseRefusedError, match=r"dose\.product_invalid"):
        ProductRelease("L", Decimal(cells))


def test_a_lot_reports_each_result_once() -> None:
    twice = (
        ReleaseResult("viability", Quantity.of(85, "%")),
        ReleaseResult("viability", Quantity.of(60, "%")),
    )
    with pytest.raises(DoseRefusedError, match=r"dose\.product_invalid"):
        ProductRelease("L", Decimal(28_000_000), twice)


@pytest.mark.parametrize(
    ("minimum", "maximum"),
    [
        (None, None),
        (Quantity.of(80, "%"), Quantity.of(70, "%")),
        (Quantity.of(80, "%"), Quantity.of(1, "g/L")),
    ],
)
def test_a_release_limit_needs_a_sound_bound(
    minimum: Quantity | None, maximum: Quantity | None
) -> None:
    with pytest.raises(DoseRefusedError, match=r"dose\.rules_invalid"):
        ReleaseLimit("viability", minimum=minimum, maximum=maximum)


def test_release_limit_names_are_distinct() -> None:
    with pytest.raises(DoseRefusedError, match=r"dose\.rules_invalid"):
        ReleaseSpec((VIABILITY, VIABILITY))


# --- rules from the study definition ----------------------------------------------------------


def with_assumptions(*pairs: tuple[str, str]) -> Study:
    """The seed with its dose assumptions replaced by ``pairs``."""
    kept = tuple(a for a in SEED.assumptions if not a.id.startswith(("dose.product", "dose.rel")))
    extra = tuple(Assumption(id=key, value=value, text="test") for key, value in pairs)
    return SEED.model_copy(update={"assumptions": kept + extra})


def test_the_reviewed_seed_states_its_tolerance_and_release_limit() -> None:
    # Hand-added to studies/NCT07329959/study.yaml (sponsor protocol, to confirm).
    rules = parse_dose_rules(SEED)
    assert rules == DoseRules(
        tolerance_percent=Decimal(20),
        release_spec=ReleaseSpec((ReleaseLimit("viability", minimum=Quantity.of(70, "%")),)),
        weight_window=WEIGHT_WINDOW,
    )


def test_a_study_stating_no_tolerance_has_its_doses_refused() -> None:
    kept = tuple(a for a in SEED.assumptions if not a.id.startswith(("dose.product", "dose.rel")))
    rules = parse_dose_rules(SEED.model_copy(update={"assumptions": kept}))
    assert rules == DoseRules(
        tolerance_percent=None, release_spec=None, weight_window=WEIGHT_WINDOW
    )
    refused("dose.tolerance_missing", rules=rules)


def test_rules_read_from_assumptions() -> None:
    study = with_assumptions(
        ("dose.weight_window", "48 h"),
        ("dose.product_tolerance", "0.15 L/L"),
        ("dose.release.viability.min", "70 %"),
        ("dose.release.cd11c.min", "60 %"),
        ("dose.release.cd11c.max", "99 %"),
    )
    rules = parse_dose_rules(study)
    assert rules.weight_window == timedelta(hours=48)
    assert rules.tolerance_percent == Decimal(15)
    assert rules.release_spec == ReleaseSpec(
        (
            ReleaseLimit("viability", minimum=Quantity.of(70, "%")),
            ReleaseLimit("cd11c", minimum=Quantity.of(60, "%"), maximum=Quantity.of(99, "%")),
        )
    )
    refused("dose.weight_too_old", weight=weighed("70.3", hours_before=49), rules=rules)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("dose.weight_window", "72"),
        ("dose.weight_window", "72 kg"),
        ("dose.weight_window", "0 h"),
        ("dose.weight_window", "0.0001 s"),
        ("dose.product_tolerance", "twenty %"),
        ("dose.product_tolerance", "20 h"),
        ("dose.release.viability", "70 %"),
        ("dose.release.viability.least", "70 %"),
        ("dose.release.viability.min", "70 percent"),
    ],
)
def test_a_malformed_rule_in_the_study_is_refused(key: str, value: str) -> None:
    with pytest.raises(DoseRefusedError) as caught:
        parse_dose_rules(with_assumptions((key, value)))
    assert caught.value.rule == "dose.rules_invalid"
    assert key in str(caught.value) or value in str(caught.value)


@settings(max_examples=50)
@given(percent=st.decimals(min_value=0, max_value=Decimal("99.99"), places=2))
def test_tolerance_read_from_the_study_is_exact(percent: Decimal) -> None:
    rules = parse_dose_rules(with_assumptions(("dose.product_tolerance", f"{percent} %")))
    assert rules.tolerance_percent == percent
