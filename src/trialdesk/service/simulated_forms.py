"""Synthetic case report form values of end-stage IPF subjects, for the simulated trial.

Each generator is a pure function of a numpy ``Generator``, the subject's
:class:`SubjectProfile` and the date of the visit; it returns the ``values`` of one form
entry as :func:`trialdesk.service.trial.record_form_entry` takes them (items of
``studies/NCT07329959/forms.yaml``). Every value lies inside its item's plausibility range.

Entry validation checks a derived item (``derived_from``) when it is given but never
computes it, so the derived items the registered outcomes are read from are computed
here with trialdesk's clinical functions: FVC, FEV1 and DLCO percent predicted (GLI-2012
for spirometry, GLI-2017 for the haemoglobin-corrected DLCO), FEV1/FVC, the SGRQ scores,
and, as cheap arithmetic, age, BMI and the CD4/CD8 ratio. eGFR is left out: trialdesk
has no CKD-EPI function and the item is not required.

The cohort is of end-stage IPF, as the seed study enrols (lung-transplant candidates in
Hangzhou, GLI-2012 group North East Asian): mostly men, FVC about 30-80% and DLCO about
30-45% of predicted, FVC falling 100-350 mL a year (untreated IPF loses about 200 mL a
year), a 6-minute walk of about 200-440 m, SGRQ total about 35-90, MRC grade 3-5 (mostly
4), and CAR copies that peak near Day 7 and fall below the assay's limit within months.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from trialdesk.clinical.gli import (
    Ethnicity,
    GliEquation,
    GliParameter,
    Sex,
    TransferUnits,
    compute_gli,
    compute_gli_lms,
    compute_hb_corrected_transfer,
)
from trialdesk.clinical.sgrq import compute_sgrq
from trialdesk.clinical.sgrq_weights import SGRQ_ITEMS, SgrqItem
from trialdesk.eligibility.subject import SubjectData, age_in_years

__all__ = [
    "ETHNICITY",
    "FORM_VALUES",
    "FormValues",
    "SubjectProfile",
    "decimal_age",
    "draw_profile",
]

Values = dict[str, object]

ETHNICITY = Ethnicity.NE_ASIAN
"""Every simulated subject is screened in Hangzhou: GLI-2012's North East Asian group."""

_LAB = "Hangzhou central laboratory (simulated)"
_RESEARCH_LAB = "Hangzhou research laboratory (simulated)"
_SAMPLED_AT = dt.time(8, tzinfo=dt.UTC)  # morning bloods, before a Day-0 infusion at 10:00
_DAYS_PER_YEAR = 365.25
_CAR_LLOQ = 50  # copies per microgram of genomic DNA
_CAR_PEAK_DAY = 7
_REFERENCE_DOSE = 4e5  # cells/kg of the starting level, which the CAR peak is drawn for


@dataclass(frozen=True, slots=True)
class SubjectProfile:
    """What every form of one subject must agree on, drawn once when it is found eligible.

    ``fvc_l`` is the screening FVC of the eligibility data; later values fall from it by
    ``fvc_loss_l_per_year``. ``burden`` (0-1) drives the SGRQ answers and the MRC grade.
    ``day0`` is unknown until the infusion (:meth:`treated`), and ``car_peak`` is for the
    reference dose until then.
    """

    screening_date: dt.date
    birth_date: dt.date
    day0: dt.date | None
    sex: Sex
    height_cm: Decimal
    weight_kg: float
    fvc_l: Decimal
    fvc_loss_l_per_year: float
    fev1_share: float
    dlco: float  # uncorrected, mL/min/mm[Hg], at screening
    haemoglobin_g_dl: Decimal
    walk_m: float
    burden: float
    home_oxygen_l_min: int  # 0 without long-term oxygen
    fibrosis_pct: float
    car_peak: float  # copies/ug at Day 7
    car_decay_per_day: float

    def years_on(self, on: dt.date) -> float:
        """Years since screening: how far the disease has progressed by ``on``."""
        return (on - self.screening_date).days / _DAYS_PER_YEAR

    def weight_on(self, on: dt.date) -> float:
        """The subject's weight (kg) on ``on``: drifting down 2 kg a year, as IPF wastes."""
        return self.weight_kg - 2.0 * self.years_on(on)

    def treated(self, day0: dt.date, dose_cells_per_kg: float) -> SubjectProfile:
        """The profile once infused: its Day 0, and its CAR peak scaled to the dose given."""
        scaled = self.car_peak * dose_cells_per_kg / _REFERENCE_DOSE
        return replace(self, day0=day0, car_peak=scaled)


FormValues = Callable[[np.random.Generator, SubjectProfile, dt.date], Values]
"""A form's generator: the random stream, the subject, the visit date -> the entry's values."""


def decimal_age(birth_date: dt.date, on: dt.date) -> float:
    """Age in decimal years (days / 365.25, the UCUM year), as the GLI equations take it."""
    return (on - birth_date).days / _DAYS_PER_YEAR


def draw_profile(rng: np.random.Generator, screening: SubjectData) -> SubjectProfile:
    """An eligible subject's profile, consistent with its screening data."""
    if screening.birth_date is None:  # pragma: no cover - the simulation always gives one
        raise ValueError(f"{screening.subject_id}: screening data without a birth date")
    fvc = max((o for o in screening.observations if o.measure == "fvc"), key=lambda o: o.date).value
    male = bool(rng.random() < 0.75)  # IPF is about three times as common in men
    sex = Sex.MALE if male else Sex.FEMALE
    height = float(np.clip(rng.normal(168, 5.5) if male else rng.normal(157, 5), 145, 190))
    age = decimal_age(screening.birth_date, screening.screening_date)
    predicted_dlco = compute_gli_lms(
        GliEquation.GLI_2017,
        GliParameter.TLCO,
        sex=sex,
        age=age,
        height=round(height, 1),
        units=TransferUnits.TRADITIONAL,
    ).M
    return SubjectProfile(
        screening_date=screening.screening_date,
        birth_date=screening.birth_date,
        day0=None,
        sex=sex,
        height_cm=Decimal(f"{height:.1f}"),
        weight_kg=float(np.clip(rng.normal(66, 9), 40, 110)),
        fvc_l=fvc,
        fvc_loss_l_per_year=float(np.clip(rng.normal(0.22, 0.06), 0.10, 0.35)),
        fev1_share=rng.uniform(0.80, 0.90),  # restrictive: FEV1/FVC is high in IPF
        dlco=predicted_dlco * rng.uniform(0.30, 0.45),
        haemoglobin_g_dl=Decimal(
            f"{rng.uniform(12.5, 15.5) if male else rng.uniform(11.5, 14):.1f}"
        ),
        walk_m=rng.uniform(240, 400),
        burden=rng.uniform(0.45, 0.75),
        home_oxygen_l_min=int(rng.choice([0, 2, 3])),
        fibrosis_pct=rng.uniform(25, 45),
        car_peak=10 ** rng.uniform(3, 4),
        car_decay_per_day=rng.uniform(0.08, 0.12),
    )


def _dec(value: float, places: int) -> Decimal:
    """``value`` as a Decimal with ``places`` decimals, as a laboratory reports it."""
    return Decimal(f"{value:.{places}f}")


def _at(on: dt.date) -> dt.datetime:
    return dt.datetime.combine(on, _SAMPLED_AT)


_COMORBIDITIES = (  # common in IPF
    "Gastro-oesophageal reflux disease",
    "Hypertension",
    "Type 2 diabetes mellitus",
    "Coronary artery disease",
    "Obstructive sleep apnoea",
)


def demographics(rng: np.random.Generator, subject: SubjectProfile, _on: dt.date) -> Values:
    """The screening demographics; sex and ethnicity are what the GLI equations read."""
    smoker = bool(rng.random() < 0.6)
    diagnosed = subject.screening_date - dt.timedelta(days=int(rng.integers(2 * 365, 6 * 365)))
    values: Values = {
        "consent_date": subject.screening_date,
        "birth_date": subject.birth_date,
        "age_years": age_in_years(subject.birth_date, subject.screening_date),
        "sex": subject.sex.value,
        "ethnicity": ETHNICITY.value,
        "smoking_status": "former" if smoker else "never",
        "ipf_diagnosis_date": diagnosed,
        "ipf_diagnosis_basis": str(
            rng.choice(["hrct_uip", "hrct_probable_uip_mdd", "biopsy"], p=[0.7, 0.2, 0.1])
        ),
        "antifibrotic": str(rng.choice(["pirfenidone", "nintedanib", "none"])),
        "long_term_oxygen": subject.home_oxygen_l_min > 0,
    }
    conditions = rng.choice(_COMORBIDITIES, size=int(rng.integers(0, 3)), replace=False)
    if len(conditions):
        values["medical_history"] = [
            {"condition": str(condition), "condition_ongoing": True} for condition in conditions
        ]
    if smoker:
        values["pack_years"] = _dec(rng.uniform(10, 40), 1)
    if subject.home_oxygen_l_min:
        values["home_oxygen_flow"] = Decimal(subject.home_oxygen_l_min)
    return values


def vital_signs(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """Vital signs of a breathless subject on home oxygen or not; weight drifts down."""
    weight = _dec(subject.weight_on(on) + rng.normal(0, 0.4), 1)
    height_m = subject.height_cm / 100
    return {
        "measured_at": dt.datetime.combine(on, dt.time(8, 30, tzinfo=dt.UTC)),
        "weight": weight,
        "height": subject.height_cm,
        "bmi": (weight / (height_m * height_m)).quantize(Decimal("0.1")),
        "systolic_bp": Decimal(int(rng.integers(108, 146))),
        "diastolic_bp": Decimal(int(rng.integers(62, 90))),
        "heart_rate": int(rng.integers(72, 102)),
        "respiratory_rate": int(rng.integers(16, 25)),
        "temperature": _dec(rng.uniform(36.2, 37.2), 1),
        "spo2": Decimal(int(rng.integers(89, 97))),
        "oxygen_flow": Decimal(subject.home_oxygen_l_min),
    }


def lung_function(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """Spirometry and DLCO, FVC falling from the screening value, with percent predicted."""
    years = subject.years_on(on)
    noise = rng.uniform(-0.02, 0.02) if years else 0.0  # screening is the eligibility FVC
    fvc = _dec(float(subject.fvc_l) - subject.fvc_loss_l_per_year * years + noise, 2)
    fev1 = _dec(float(fvc) * (subject.fev1_share + rng.uniform(-0.01, 0.01)), 2)
    dlco = _dec(subject.dlco * (1 - 0.08 * years) * rng.uniform(0.97, 1.03), 1)
    age = decimal_age(subject.birth_date, on)
    height = float(subject.height_cm)
    corrected = _dec(
        compute_hb_corrected_transfer(
            float(dlco), float(subject.haemoglobin_g_dl), sex=subject.sex, age=age
        ),
        1,
    )

    def spirometry_pct(parameter: GliParameter, value: Decimal) -> Decimal:
        result = compute_gli(
            GliEquation.GLI_2012,
            parameter,
            float(value),
            sex=subject.sex,
            age=age,
            height=height,
            ethnicity=ETHNICITY,
        )
        return _dec(result.percent_predicted, 1)

    dlco_pct = compute_gli(
        GliEquation.GLI_2017,
        GliParameter.TLCO,
        float(corrected),
        sex=subject.sex,
        age=age,
        height=height,
        units=TransferUnits.TRADITIONAL,
    ).percent_predicted
    return {
        "test_date": on,
        "test_height": subject.height_cm,
        "spirometry_equation": GliEquation.GLI_2012.value,
        "dlco_equation": GliEquation.GLI_2017.value,
        "fvc": fvc,
        "fev1": fev1,
        "fev1_fvc": (fev1 / fvc * 100).quantize(Decimal("0.1")),
        "fvc_pct_pred": spirometry_pct(GliParameter.FVC, fvc),
        "fev1_pct_pred": spirometry_pct(GliParameter.FEV1, fev1),
        "dlco": dlco,
        "dlco_haemoglobin": subject.haemoglobin_g_dl,
        "dlco_hb_corrected": corrected,
        "dlco_pct_pred": _dec(dlco_pct, 1),
    }


def six_mwt(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """A walk on a 30 m course that shortens about 60 m a year, desaturating on the way."""
    lap = 30
    distance = max(60, round(subject.walk_m - 60 * subject.years_on(on) + rng.normal(0, 15)))
    laps, partial = divmod(distance, lap)
    baseline = int(rng.integers(91, 97))
    values: Values = {
        "walk_date": on,
        "distance_m": Decimal(distance),
        "laps": laps,
        "lap_length_m": Decimal(lap),
        "final_partial_lap_m": Decimal(partial),
        "spo2_baseline_pct": Decimal(baseline),
        "spo2_nadir_pct": Decimal(baseline - int(rng.integers(6, 15))),
        "dyspnoea_borg_pre": _dec(rng.choice([1, 2, 3]), 1),
        "dyspnoea_borg_post": _dec(rng.choice([4, 5, 6, 7]), 1),
        "fatigue_borg_pre": _dec(rng.choice([0.5, 1, 2]), 1),
        "fatigue_borg_post": _dec(rng.choice([2, 3, 4, 5]), 1),
        "oxygen_device": "nasal-cannula" if subject.home_oxygen_l_min else "room-air",
        "stops": int(rng.integers(0, 3)),
    }
    if subject.home_oxygen_l_min:
        values["oxygen_flow_l_min"] = Decimal(subject.home_oxygen_l_min)
    return values


def qct(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """Quantitative CT: fibrosis extent growing about 5 points a year, lung volume shrinking."""
    years = subject.years_on(on)
    return {
        "scan_date": on,
        "slice_thickness": Decimal("1.0"),
        "qct_tool": "QCT analysis (simulated)",
        "qct_tool_version": "1.0",
        "qct_metric": "fibrosis extent (reticulation, honeycombing, traction bronchiectasis)",
        "fibrosis_extent_pct": _dec(subject.fibrosis_pct + 5 * years + rng.normal(0, 0.5), 1),
        "lung_volume": Decimal(
            round(float(subject.fvc_l) * 1700 - 300 * years + rng.normal(0, 40))
        ),
        "qct_read_by": "Imaging core laboratory (simulated)",
    }


def _burden(subject: SubjectProfile, on: dt.date) -> float:
    return min(1.0, subject.burden + 0.1 * subject.years_on(on))


def _nearest_code(item: SgrqItem, weight: float) -> int:
    """The response whose weight is nearest ``weight``: a worse state gives a worse answer."""
    return min(item.codes, key=lambda code: abs(item.weight_of(code) - weight))


def sgrq(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """Answers whose weights track the subject's burden, scored by the SGRQ manual 2.3."""
    burden = _burden(subject, on)
    answers: dict[str, int] = {}
    for item_id, item in SGRQ_ITEMS.items():
        if item_id == "q6" and answers.get("q5") == 5:  # no severe attacks: Q6 is skipped
            continue
        share = float(np.clip(burden + rng.normal(0, 0.25), 0, 1))
        answers[item_id] = _nearest_code(item, share * item.max_weight)
    score = compute_sgrq(answers)
    values: Values = {"sgrq_date": on, "sgrq_mode": "self"}
    values |= {item_id: str(code) for item_id, code in answers.items()}
    scores = {
        "sgrq_symptoms": score.symptoms,
        "sgrq_activity": score.activity,
        "sgrq_impacts": score.impacts,
        "sgrq_total": score.total,
    }
    values |= {name: _dec(value, 1) for name, value in scores.items() if value is not None}
    return values


def mrc(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """The MRC grade of end-stage disease: 3 to 5, rising with the burden."""
    grade = round(float(np.clip(2.8 + 2 * _burden(subject, on) + rng.normal(0, 0.3), 3, 5)))
    return {"mrc_date": on, "mrc_grade": str(grade)}


# (LLN, ULN, unit, drawn from, drawn to, decimals) of the simulated laboratory.
_Lab = tuple[str, str, str, float, float, int]
_CHEMISTRY: Mapping[str, _Lab] = {
    "creatinine": ("0.6", "1.2", "mg/dL", 0.6, 1.1, 2),
    "urea": ("2.8", "7.2", "mmol/L", 3.5, 7.0, 1),
    "sodium": ("135", "145", "mmol/L", 136, 144, 0),
    "potassium": ("3.5", "5.1", "mmol/L", 3.7, 4.8, 1),
    "glucose": ("3.9", "6.1", "mmol/L", 4.2, 6.5, 1),
    "albumin": ("35", "50", "g/L", 34, 44, 0),
    "total_protein": ("64", "83", "g/L", 62, 78, 0),
    "bilirubin": ("0.2", "1.2", "mg/dL", 0.3, 1.0, 2),
    "ast": ("10", "40", "U/L", 14, 38, 0),
    "alt": ("7", "45", "U/L", 10, 40, 0),
    "alp": ("40", "129", "U/L", 50, 120, 0),
    "ggt": ("8", "61", "U/L", 12, 60, 0),
    "ldh": ("135", "225", "U/L", 170, 300, 0),  # often raised in IPF
    "inr": ("0.8", "1.2", "{INR}", 0.9, 1.15, 2),
    "aptt": ("25", "35", "s", 26, 34, 1),
    "fibrinogen": ("2.0", "4.0", "g/L", 2.5, 4.5, 2),
}
_LYMPHOCYTE_RANGES = {  # LLN, ULN of each subset's share of lymphocytes (%)
    "cd3_pct": ("55", "84"),
    "cd4_pct": ("31", "60"),
    "cd8_pct": ("13", "41"),
    "cd19_pct": ("6", "25"),
    "nk_pct": ("5", "27"),
}


def _lab(lln: str, uln: str, unit: str, value: Decimal) -> dict[str, object]:
    return {"value": value, "unit": unit, "lln": Decimal(lln), "uln": Decimal(uln)}


def chemistry(rng: np.random.Generator, _subject: SubjectProfile, on: dt.date) -> Values:
    """Blood chemistry and coagulation, mostly within range (LDH often raised in IPF)."""
    values: Values = {"sampled_at": _at(on), "lab_name": _LAB}
    for item, (lln, uln, unit, low, high, places) in _CHEMISTRY.items():
        values[item] = _lab(lln, uln, unit, _dec(rng.uniform(low, high), places))
    values["aptt_control"] = Decimal(30)
    return values


def _study_day(subject: SubjectProfile, on: dt.date) -> int:
    if subject.day0 is None:  # pragma: no cover - the post-dose forms follow the infusion
        raise ValueError("a study day before the subject's infusion is known")
    return (on - subject.day0).days


def crp(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """C-reactive protein, low at baseline and transiently up after the infusion."""
    flare = rng.uniform(1.5, 3) if 3 <= _study_day(subject, on) <= 7 else 1.0
    value = _dec(rng.uniform(1, 6) * flare, 1)
    return {"sampled_at": _at(on), "lab_name": _LAB, "crp": _lab("0", "5", "mg/L", value)}


def lymphocyte_subsets(rng: np.random.Generator, _subject: SubjectProfile, on: dt.date) -> Values:
    """Flow-cytometry subsets whose shares add up (CD4 + CD8 < CD3; T + B + NK <= 100%)."""
    cd3 = rng.uniform(55, 80)
    cd4, cd8 = cd3 * rng.uniform(0.50, 0.62), cd3 * rng.uniform(0.26, 0.36)
    cd19 = rng.uniform(6, 16)
    nk = (100 - cd3 - cd19) * rng.uniform(0.6, 0.95)
    shares = {"cd3_pct": cd3, "cd4_pct": cd4, "cd8_pct": cd8, "cd19_pct": cd19, "nk_pct": nk}
    values: Values = {"sampled_at": _at(on), "lab_name": _RESEARCH_LAB}
    for item, share in shares.items():
        values[item] = _lab(*_LYMPHOCYTE_RANGES[item], "%", _dec(share, 1))
    values["cd4_cd8_ratio"] = (_dec(cd4, 1) / _dec(cd8, 1)).quantize(Decimal("0.01"))
    values["treg_pct"] = _dec(rng.uniform(3, 8), 1)
    return values


def cytokines(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """Serum IL-2, IL-4 and IL-6 above the assay's limit; IL-6 peaks in the first week."""
    flare = rng.uniform(1.5, 3) if 3 <= _study_day(subject, on) <= 7 else 1.0
    return {
        "sampled_at": _at(on),
        "lab_name": _RESEARCH_LAB,
        "assay_kit": "ELISA kit (simulated), lot SIM-2026-01",
        "il2": _dec(rng.uniform(0.6, 3), 2),
        "il4": _dec(rng.uniform(0.6, 3), 2),
        "il6": _dec(rng.uniform(3, 9) * flare, 2),
        "lloq": Decimal("0.5"),
    }


def car_copies(rng: np.random.Generator, subject: SubjectProfile, on: dt.date) -> Values:
    """CAR copies: none before the infusion, a dose-scaled peak near Day 7, then decay."""
    day = _study_day(subject, on)
    if day <= 0:  # the Day-0 sample is drawn before the infusion
        copies = 0.0
    elif day < _CAR_PEAK_DAY:
        copies = subject.car_peak * rng.uniform(0.2, 0.5)
    else:
        copies = subject.car_peak * math.exp(-subject.car_decay_per_day * (day - _CAR_PEAK_DAY))
        copies *= rng.uniform(0.8, 1.25)
    below = copies < _CAR_LLOQ
    return {
        "sampled_at": _at(on),
        "lab_name": _RESEARCH_LAB,
        "assay": "CAR transgene qPCR (simulated)",
        "car_copies": Decimal(0 if below else round(copies)),
        "car_lloq": Decimal(_CAR_LLOQ),
        "below_lloq": below,
    }


FORM_VALUES: Mapping[str, FormValues] = {
    "demographics": demographics,
    "vital_signs": vital_signs,
    "lung_function": lung_function,
    "six_mwt": six_mwt,
    "qct": qct,
    "sgrq": sgrq,
    "mrc": mrc,
    "chemistry": chemistry,
    "crp": crp,
    "lymphocyte_subsets": lymphocyte_subsets,
    "cytokines": cytokines,
    "car_copies": car_copies,
}
"""The generator of each simulated form, by form id; a visit fills those its forms list."""
