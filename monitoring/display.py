"""Results as the viewer reads them: in their unit system and their language.

Values are stored in the analyte's canonical unit, which is the SI unit (catalogue/analytes.py).
A viewer sees them in the unit system they chose (User.unit_system), else their clinic's. This
module only converts for display: rules, alerts and the CSV's canonical columns never use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from django.http import HttpRequest
from django.utils.formats import number_format

from .models import Analyte, AnalyteUnit, Clinic, LabResult, Role, Share, UnitSystem, display_unit

SI = UnitSystem.SI.value
US = UnitSystem.US.value


def unit_system_for(user, clinic: Clinic | None) -> str:
    """The unit system, "SI" or "US": the user's own choice, else the clinic's, else SI."""
    choice = getattr(user, "unit_system", "")
    if choice in (SI, US):
        return choice
    if clinic is not None and clinic.unit_system in (SI, US):
        return clinic.unit_system
    return SI


def default_clinic(user) -> Clinic | None:
    """The clinic whose unit system a user without a choice follows, in one query: staff their
    first clinic, a patient their own, a family member that of the first patient sharing."""
    clinics = Clinic.objects.order_by("name")
    if user.role == Role.PATIENT:
        return clinics.filter(patients__user=user).first()
    if user.role == Role.FAMILY:
        shared = Share.objects.active().filter(grantee=user).values("patient_id")
        return clinics.filter(patients__in=shared).first()
    return clinics.filter(staff=user).first()


def request_unit_system(request: HttpRequest) -> str:
    """The unit system of the signed-in viewer, worked out once per request."""
    if not hasattr(request, "_unit_system"):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            request._unit_system = SI
        elif user.unit_system:  # their own choice costs no query
            request._unit_system = unit_system_for(user, None)
        else:
            request._unit_system = unit_system_for(user, default_clinic(user))
    return request._unit_system


def shown_units(system: str) -> dict[int, AnalyteUnit]:
    """Analyte id → the unit its results are shown in for `system`, in one query."""
    flag = "is_us_default" if system == US else "is_si_default"
    shown = AnalyteUnit.objects.filter(**{flag: True}).select_related("analyte")
    return {unit.analyte_id: unit for unit in shown}


def request_units(request: HttpRequest, system: str) -> dict[int, AnalyteUnit]:
    """`shown_units(system)`, loaded once per request whatever the number of values shown."""
    cache = request.__dict__.setdefault("_shown_units", {})
    if system not in cache:
        cache[system] = shown_units(system)
    return cache[system]


def _unit_for(
    analyte: Analyte, system: str, units: Mapping[int, AnalyteUnit] | None
) -> AnalyteUnit | None:
    if units is not None:
        return units.get(analyte.pk)
    # Without a map, the analyte's own units (prefetched by the caller, or one query).
    flag = "is_us_default" if system == US else "is_si_default"
    return next((u for u in analyte.units.all() if getattr(u, flag)), None)


def places_for(analyte: Analyte, unit: AnalyteUnit | None) -> int:
    """Decimal places shown in `unit`: the canonical precision, shifted by the factor's order of
    magnitude so the precision stays the same (creatinine 106 µmol/L → 1.20 mg/dL, glucose
    7.0 mmol/L → 126 mg/dL, haemoglobin 121 g/L → 12.1 g/dL)."""
    if unit is None or unit.code == analyte.unit:
        return analyte.decimal_places
    ratio = unit.multiply_by / unit.divide_by  # canonical per 1 of `unit`
    return max(0, analyte.decimal_places + round(ratio.log10()))


def shown_value(
    result_or_value: LabResult | Decimal,
    analyte: Analyte,
    system: str,
    *,
    units: Mapping[int, AnalyteUnit] | None = None,
) -> tuple[Decimal, str]:
    """(value, unit label) of a result or canonical value in `system`'s unit for the analyte.

    A value typed in that very unit is shown as typed; any other is converted exactly (the
    unit's ratio) and rounded to `places_for`. Analytes whose unit is the same in both systems
    (tacrolimus ng/mL, potassium mmol/L) are unchanged. `units` (from `shown_units`) saves the
    query per analyte on pages that show many values.
    """
    unit = _unit_for(analyte, system, units)
    code = unit.code if unit is not None else analyte.unit
    label = unit.label if unit is not None else display_unit(analyte.unit)
    if isinstance(result_or_value, LabResult):
        result = result_or_value
        if result.value_as_entered is not None and result.unit_as_entered == code:
            return _plain(result.value_as_entered), label
        value = result.value
    else:
        value = result_or_value
    if code != analyte.unit:
        value = unit.from_canonical(value)
    places = Decimal(1).scaleb(-places_for(analyte, unit))
    return value.quantize(places, rounding=ROUND_HALF_EVEN), label


def _plain(value: Decimal) -> Decimal:
    """7.100000 → 7.1: the stored scale is not a precision (12.000000 → 12, never 1.2E+1)."""
    text = f"{value:f}"
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def format_value(value: Decimal, label: str) -> str:
    """'1.20 mg/dL' in English, '1,20 mg/dL' in French (the active language)."""
    return f"{number_format(value)} {label}"
