"""The measures and conditions criteria name, with their synonyms and canonical units.

A criterion says "SGPT", "ALT" or "alanine aminotransferase"; a chart stores one
measure. Each :class:`Measure` has an id, the phrases that name it (longest matched
first, so "creatinine clearance" is not read as "creatinine"), its canonical UCUM
unit, the analyte whose cited factor converts it across dimensions (creatinine
mg/dL to umol/L), and, for scores whose unit is never written ("ECOG 0-1"), the
unit that is implied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CONDITIONS", "MEASURES", "Measure", "measure", "measure_pattern"]


@dataclass(frozen=True, slots=True)
class Measure:
    """A measurable quantity a criterion can name."""

    id: str
    label: str
    unit: str
    synonyms: tuple[str, ...]
    analyte: str | None = None
    implied_unit: bool = False


def _m(id_: str, label: str, unit: str, synonyms: tuple[str, ...], **extra: object) -> Measure:
    analyte = extra.get("analyte")
    return Measure(
        id_,
        label,
        unit,
        synonyms,
        analyte if isinstance(analyte, str) else None,
        implied_unit=extra.get("implied_unit") is True,
    )


_TABLE = (
    _m("age", "age", "a", ("aged", "age"), implied_unit=True),
    _m("gestational_age", "gestational age", "wk", ("gestational age",)),
    _m("haematocrit", "haematocrit", "%", ("hematocrit", "haematocrit", "hct")),
    _m(
        "haemoglobin",
        "haemoglobin",
        "g/dL",
        ("hemoglobin", "haemoglobin", "hgb", "hb"),
        analyte="haemoglobin",
    ),
    _m(
        "lymphocytes",
        "lymphocyte count",
        "10*9/L",
        ("absolute lymphocyte count", "lymphocyte count", "lymphocytes", "lymphocyte", "alc"),
    ),
    _m(
        "neutrophils",
        "absolute neutrophil count",
        "10*9/L",
        ("absolute neutrophil count", "neutrophil count", "neutrophils", "anc"),
    ),
    _m("platelets", "platelet count", "10*9/L", ("platelet count", "platelets", "platelet", "plt")),
    _m(
        "wbc",
        "white blood cell count",
        "10*9/L",
        ("white blood cell count", "white blood cells", "leukocyte count", "leukocytes", "wbc"),
    ),
    _m(
        "creatinine_clearance",
        "creatinine clearance",
        "mL/min",
        ("creatinine clearance", "crcl", "clearance"),
    ),
    _m(
        "egfr",
        "estimated glomerular filtration rate",
        "mL/min/{1.73_m2}",
        ("estimated glomerular filtration rate", "glomerular filtration rate", "egfr", "gfr"),
    ),
    _m(
        "creatinine",
        "serum creatinine",
        "mg/dL",
        ("serum creatinine", "creatinine"),
        analyte="creatinine",
    ),
    _m(
        "ast",
        "aspartate aminotransferase",
        "U/L",
        (
            "serum glutamic oxaloacetic transaminase",
            "serum glutamic-oxaloacetic transaminase",
            "aspartate amino transferase",
            "aspartate aminotransferase",
            "aspartate transaminase",
            "ast",
            "sgot",
        ),
    ),
    _m(
        "alt",
        "alanine aminotransferase",
        "U/L",
        (
            "serum glutamate pyruvate transaminase",
            "serum glutamic pyruvic transaminase",
            "serum glutamic-pyruvic transaminase",
            "alanine amino transferase",
            "alanine aminotransferase",
            "alanine transaminase",
            "alt",
            "sgpt",
        ),
    ),
    _m("alp", "alkaline phosphatase", "U/L", ("alkaline phosphatase", "alp")),
    _m(
        "bilirubin",
        "total bilirubin",
        "mg/dL",
        ("total serum bilirubin", "serum total bilirubin", "total bilirubin", "bilirubin", "tbil"),
        analyte="bilirubin",
    ),
    _m("albumin", "serum albumin", "g/dL", ("serum albumin", "albumin")),
    _m(
        "inr",
        "international normalized ratio",
        "{INR}",
        ("international normalized ratio", "international normalised ratio", "inr"),
        implied_unit=True,
    ),
    _m(
        "aptt",
        "activated partial thromboplastin time",
        "s",
        (
            "activated partial thromboplastin time",
            "partial thromboplastin time",
            "aptt",
            "ptt",
        ),
    ),
    _m("pt", "prothrombin time", "s", ("prothrombin time", "pt")),
    _m(
        "ecog",
        "ECOG performance status",
        "{score}",
        ("eastern cooperative oncology group", "ecog"),
        implied_unit=True,
    ),
    _m(
        "karnofsky",
        "Karnofsky performance status",
        "{score}",
        ("karnofsky performance status", "karnofsky", "kps"),
        implied_unit=True,
    ),
    _m(
        "nyha",
        "NYHA functional class",
        "{score}",
        ("new york heart association", "nyha"),
        implied_unit=True,
    ),
    _m(
        "lvef",
        "left ventricular ejection fraction",
        "%",
        ("left ventricular ejection fraction", "lvef", "ejection fraction"),
    ),
    _m("spo2", "oxygen saturation", "%", ("oxygen saturation", "pulse oximetry", "spo2", "sao2")),
    _m(
        "six_mwd",
        "six-minute walk distance",
        "m",
        ("six-minute walk", "6-minute walk", "6mwt", "6mwd", "distance walked"),
    ),
    _m("fvc", "forced vital capacity", "L", ("forced vital capacity", "fvc")),
    _m("fev1", "forced expiratory volume in 1 s", "L", ("fev1",)),
    _m(
        "dlco",
        "diffusing capacity for carbon monoxide",
        "mL/min/mm[Hg]",
        (
            "diffusing capacity of the lungs for carbon monoxide",
            "diffusing capacity for carbon monoxide",
            "dlco",
            "tlco",
        ),
        analyte="dlco",
    ),
    _m(
        "sbp",
        "systolic blood pressure",
        "mm[Hg]",
        ("systolic blood pressure", "systolic pressure", "systolic"),
    ),
    _m(
        "dbp",
        "diastolic blood pressure",
        "mm[Hg]",
        ("diastolic blood pressure", "diastolic pressure", "diastolic"),
    ),
    _m("bmi", "body mass index", "kg/m2", ("body mass index", "bmi")),
    _m("weight", "body weight", "kg", ("body weight", "weight")),
    _m("qtc", "corrected QT interval", "ms", ("qtcf", "qtc", "corrected qt interval")),
    _m("potassium", "serum potassium", "mmol/L", ("potassium",), analyte="potassium"),
    _m("sodium", "serum sodium", "mmol/L", ("sodium",), analyte="sodium"),
    _m("cd4", "CD4 count", "/uL", ("cd4+ t-cell count", "cd4 count", "cd4")),
    _m("life_expectancy", "life expectancy", "wk", ("life expectancy",)),
    _m("fvc_percent_predicted", "FVC % predicted", "%", ()),
    _m("dlco_percent_predicted", "DLCO % predicted", "%", ()),
    _m("fev1_percent_predicted", "FEV1 % predicted", "%", ()),
)

#: Every measure by id.
MEASURES: Mapping[str, Measure] = MappingProxyType({m.id: m for m in _TABLE})

#: Conditions that make a limit apply to some subjects only, by the phrases that name them.
CONDITIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "gilberts_syndrome": ("gilbert's syndrome", "gilbert syndrome", "gilbert's disease"),
        "liver_metastases": (
            "liver metastases",
            "hepatic metastases",
            "liver metastasis",
            "liver involvement",
        ),
        "bone_metastases": ("bone metastases", "bone involvement"),
        "anticoagulant_therapy": ("anticoagulant therapy", "anticoagulation", "anticoagulants"),
    }
)


def measure(measure_id: str) -> Measure | None:
    """The measure with id ``measure_id``, or ``None`` when the lexicon has none."""
    return MEASURES.get(measure_id)


def _synonym_index() -> tuple[re.Pattern[str], Mapping[str, str]]:
    pairs = sorted(
        ((syn, m.id) for m in _TABLE for syn in m.synonyms), key=lambda pair: -len(pair[0])
    )
    alternatives = "|".join(re.escape(syn).replace(r"\ ", r"\s+") for syn, _ in pairs)
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w])", re.IGNORECASE)
    return pattern, MappingProxyType({re.sub(r"\s+", " ", syn): mid for syn, mid in pairs})


_PATTERN, _BY_SYNONYM = _synonym_index()


def measure_pattern() -> tuple[re.Pattern[str], Mapping[str, str]]:
    """One regex matching every synonym (longest first), and synonym → measure id."""
    return _PATTERN, _BY_SYNONYM
