r"""Read numbers, powers of ten, units and comparators as registry criteria write them.

ClinicalTrials.gov text is typed by hand and escaped for markdown: ``\>=`` and
``=\<``, ``1.5x10⁹/L`` (with a multiplication sign) and its superscript-lost twin
``1.5 x 109/L``, decimal commas (``2,5 mg/dl``), thousands separators
(``100,000/mcL``, ``100.000/µl``), ``5.0 times the upper limit of normal``. Each
reader returns what it read and the exact span, never a guess: a power of ten
whose exponent was lost (``x 10/L``) is
reported as such, and the caller keeps the text for a person to read.

The text is first folded one character for one character (full-width forms,
dashes, micro signs), so every offset stays an offset into the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "COMPARATOR_AFTER",
    "COMPARATOR_BEFORE",
    "Quantity",
    "fold",
    "read_number",
    "read_quantities",
]

_FOLD = str.maketrans(
    {
        **{chr(0xFF01 + i): chr(0x21 + i) for i in range(94)},  # full-width ASCII
        "\u3000": " ",
        "\u00a0": " ",
        "\u2212": "-",  # minus sign
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2010": "-",
        "\u2011": "-",
        "\u03bc": "\u00b5",  # Greek mu -> micro sign
        "\u2266": "\u2264",  # ≦ -> ≤
        "\u2267": "\u2265",  # ≧ -> ≥
        "\u2a7d": "\u2264",  # ⩽ -> ≤
        "\u2a7e": "\u2265",  # ⩾ -> ≥
        "\u00d7": "x",  # multiplication sign
        "\u00b7": "x",
        "\u2022": " ",
    }
)


def fold(text: str) -> str:
    """``text`` with look-alike characters replaced one for one (offsets unchanged)."""
    folded = text.translate(_FOLD)
    if len(folded) != len(text):  # pragma: no cover - the table maps one char to one char
        msg = "folding changed the text's length"
        raise AssertionError(msg)
    return folded


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

# Comparators: (phrase regex, comparator). Order matters: longer phrases first.
_GE = (
    r"\\?>\s*/?\s*=|=\s*\\?>|≥\s*/?=?|greater\s+than\s+or\s+equal(?:\s+to)?|"
    r"more\s+than\s+or\s+equal(?:\s+to)?|equal\s+(?:to\s+)?or\s+(?:greater|more|higher)\s+than|"
    r"at\s+least|no\s+less\s+than|not\s+less\s+than|no\s+lower\s+than|a\s+minimum\s+of|minimum(?:\s+of)?"
)
_LE = (
    r"\\?<\s*/?\s*=|=\s*\\?<|≤\s*/?=?|less\s+than\s+or\s+equal(?:\s+to)?|"
    r"equal\s+(?:to\s+)?or\s+(?:less|lower)\s+than|no\s+more\s+than|not\s+more\s+than|"
    r"no\s+greater\s+than|not\s+greater\s+than|not\s+exceeding|not\s+to\s+exceed|"
    r"no\s+higher\s+than|at\s+most|a\s+maximum\s+of|maximum(?:\s+of)?|up\s+to"
)
_GT = (
    r"\\?>|greater\s+than|more\s+than|higher\s+than|above|exceeding|exceeds?|"
    r"in\s+excess\s+of|over|elevated\s+above"
)
_LT = r"\\?<|less\s+than|lower\s+than|below|under|fewer\s+than"

#: A comparator written before its number, ending where the number starts
#: (``platelets >/= 100``, ``at least 18 years``, ``of less than 2``).
COMPARATOR_BEFORE = re.compile(
    rf"(?:(?P<ge>{_GE})|(?P<le>{_LE})|(?P<gt>{_GT})|(?P<lt>{_LT}))"
    r"\s*(?:of\s+|than\s+|to\s+|:\s*)?$",
    re.IGNORECASE,
)
#: A comparator written after its number (``18 years or older``, ``2 or fewer``).
COMPARATOR_AFTER = re.compile(
    r"^\s*(?:(?P<ge>or\s+(?:more|greater|higher|above|older|over|longer)|and\s+(?:above|over|older))"
    r"|(?P<le>or\s+(?:less|fewer|lower|below|younger|under|shorter)|and\s+(?:below|under|younger)))\b",
    re.IGNORECASE,
)

_NUMBER = r"(?<![\w.,])(?P<number>\d+(?:[.,]\d+)*|[.,]\d+)"
_POWER = (
    r"(?:\s*[xX*]\s*10\s*(?:\\?\^|\*\*?|[eE])?\s*\(?\s*(?P<exp>-?[0-9]{1,2}|[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})\s*\)?"
    r"|(?P<lost>\s*[xX*]\s*10)(?=\s*/))"
)
_RELATIVE = (
    r"(?P<relative>(?:[xX*]|-?\s*fold|times)?\s*(?:the\s+)?"
    r"(?:institutional\s+|laboratory\s+|local\s+|site\s+|upper\s+)?"
    r"(?:(?P<uln>ULN|ULRR|upper\s+limits?\s+of\s+(?:the\s+)?(?:normal|reference)(?:\s+range|\s+limits?)?"
    r"|upper\s+normal\s+limits?|normal\s+upper\s+limits?)(?:\s*\(\s*ULN\s*\))?"
    r"|(?P<lln>LLN|lower\s+limits?\s+of\s+(?:the\s+)?normal(?:\s+range)?|lower\s+normal\s+limits?)"
    r"(?:\s*\(\s*LLN\s*\))?"
    r"|(?P<control>control(?:\s+values?)?|(?:the\s+)?control\s+value)))"
)

# Absolute units: (regex, UCUM code, display). Longest spellings first.
_UNITS: tuple[tuple[str, str, str], ...] = (
    (r"m[lL]\s*/\s*min(?:ute)?\s*/\s*1[.,]73\s*m\s*(?:2|²|\\?\^2)", "mL/min/{1.73_m2}", ""),
    (r"m[lL]\s*/\s*min(?:ute)?", "mL/min", ""),
    (r"(?:cells\s*)?(?:/|per\s)\s*(?:µ|u|mc)[lL]\b", "/uL", ""),
    (r"(?:cells\s*)?(?:/|per\s)\s*(?:mm\s*(?:3|³|\\?\^\s*3)|cumm|cu\.?\s*mm)", "/mm3", ""),
    (r"[kK]\s*/\s*(?:µ|u|mc)[lL]", "10*3/uL", ""),
    (r"G\s*/\s*[lL]\b", "10*9/L", ""),
    (r"(?:mg|MG)\s*/\s*(?:d[lL]|DL)", "mg/dL", ""),
    (r"g(?:m|ms|rams?)?\s*/\s*(?:d[lL]|DL)", "g/dL", ""),
    (r"g(?:m|rams?)?\s*/\s*[lL]\b", "g/L", ""),
    (r"mg\s*/\s*[lL]\b", "mg/L", ""),
    (r"(?:µ|u|micro)mol\s*/\s*[lL]\b", "umol/L", ""),
    (r"mmol\s*/\s*[lL]\b", "mmol/L", ""),
    (r"m[eE]q\s*/\s*[lL]\b", "meq/L", ""),
    (r"(?:IU|iu)\s*/\s*[lL]\b", "[IU]/L", ""),
    (r"U\s*/\s*[lL]\b", "U/L", ""),
    (r"kg\s*/\s*m\s*(?:2|²|\\?\^2)", "kg/m2", ""),
    (r"mm\s*Hg", "mm[Hg]", ""),
    (r"%|percent\b", "%", ""),
    (r"years?\s+of\s+age|years?\s+old|years?\b|yrs?\b", "a", ""),
    (r"months?\b|mos?\b", "mo", ""),
    (r"weeks?\b|wks?\b", "wk", ""),
    (r"days?\b", "d", ""),
    (r"hours?\b|hrs?\b", "h", ""),
    (r"msecs?\b|ms\b|milliseconds?\b", "ms", ""),
    (r"seconds?\b|secs?\b", "s", ""),
    (r"kg\b|kilograms?\b", "kg", ""),
    (r"meters?\b|metres?\b|m\b", "m", ""),
    (r"m[lL]\b", "mL", ""),
    (r"liters?\b|litres?\b|L\b", "L", ""),
)
_UNIT_GROUPS = "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, _, _) in enumerate(_UNITS))
_POWER_UNIT = r"\s*/\s*(?P<per>(?:µ|u|mc)[lL]|mm\s*(?:3|³|\\?\^\s*3)|[lL]\b)"

QUANTITY = re.compile(
    rf"{_NUMBER}(?:{_POWER}{_POWER_UNIT}?)?\s*(?:{_RELATIVE}|(?:{_UNIT_GROUPS}))?",
    re.IGNORECASE,
)
# Units whose case carries meaning (m vs M, L) are matched case-sensitively below.
_CASE_SENSITIVE = {"m", "L", "mL"}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number read from text: value, UCUM unit (or relative unit), span, and any problem.

    ``unit`` is a UCUM code, ``x ULN``/``x LLN``/``x control``, or ``None`` when no
    unit was written; ``display`` is the unit as the contract prints it (powers of
    ten as ``10^9/L``). ``problem`` says why the quantity must not be used as read.
    """

    value: Decimal | None
    unit: str | None
    display: str | None
    start: int
    end: int
    problem: str | None = None


def read_number(written: str, *, count_per_volume: bool = False) -> Decimal | None:
    """The decimal a number as written means, or ``None`` when its separators are ambiguous.

    A comma followed by exactly three digits groups thousands (``80,000``); any other
    comma is a decimal comma (``2,5``). A dot is a decimal point, except that
    ``100.000`` groups thousands when it counts cells per volume (``100.000/µl``).
    """
    if "," in written and "." in written:
        last = max(written.rfind(","), written.rfind("."))
        integer = re.sub(r"[.,]", "", written[:last])
        return Decimal(f"{integer}.{written[last + 1 :]}")
    for separator in (",", "."):
        if separator not in written:
            continue
        head, *groups = written.split(separator)
        grouped = all(len(g) == 3 for g in groups) and 1 <= len(head) <= 3
        thousands = grouped and (separator == "," or count_per_volume or len(groups) > 1)
        if thousands:
            return Decimal(written.replace(separator, ""))
        if len(groups) > 1:
            return None
        return Decimal(f"{head or '0'}.{groups[0]}")
    return Decimal(written)


def _power_unit(exponent: int, per: str) -> tuple[str, str]:
    volume = per.replace(" ", "").lower().replace("\\", "")
    if volume == "l":
        return f"10*{exponent}/L", f"10^{exponent}/L"
    if volume.startswith(("µ", "u", "mc")):
        return f"10*{exponent}/uL", f"10^{exponent}/µL"
    return f"10*{exponent}/mm3", f"10^{exponent}/mm3"


def _unit_of(match: re.Match[str]) -> tuple[str | None, str | None, str | None]:
    """(UCUM code, display, problem) of the unit part of a quantity match."""
    if match["relative"]:
        reference = "ULN" if match["uln"] else "LLN" if match["lln"] else "control"
        return f"x {reference}", f"x {reference}", None
    for index, (_, code, _) in enumerate(_UNITS):
        written = match[f"u{index}"]
        if written is None:
            continue
        if code in _CASE_SENSITIVE and written.strip() not in {"m", "L", "mL", "ml"}:
            if code == "m" and written.lower().startswith(("meter", "metre")):
                return code, code, None
            if code == "L" and written.lower().startswith(("liter", "litre")):
                return code, code, None
            return None, None, None
        return code, code, None
    return None, None, None


def read_quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` (already folded) with its power of ten and unit."""
    found: list[Quantity] = []
    for match in QUANTITY.finditer(text):
        end = match.end()
        problem = None
        if match["lost"]:
            problem = "power of ten lost in the text (x 10/...): the unit cannot be read"
            unit, display = None, None
        elif match["exp"]:
            exponent = int(match["exp"].translate(_SUPERSCRIPTS))
            per = match["per"]
            if per is None:
                problem = f"x 10^{exponent} without a volume: the unit cannot be read"
                unit, display = None, None
            else:
                unit, display = _power_unit(exponent, per)
        else:
            unit, display, problem = _unit_of(match)
            if unit is None and not match["relative"]:
                end = match.end("number")
        count = unit in {"/uL", "/mm3"}
        value = read_number(match["number"], count_per_volume=count)
        if value is None:
            problem = f"the number {match['number']!r} has ambiguous separators"
        end = len(text[:end].rstrip())
        found.append(Quantity(value, unit, display, match.start("number"), end, problem))
    return found
