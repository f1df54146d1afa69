"""ECG rules over the patient's record: a prolonged or critical QTc on the latest ECG, and a
missing baseline ECG (clinical-reference.md A3 QTc row, A4, §2.4).

QTc trends never mix correction methods (A3, §2.4): the baseline of a rise is the first ECG
corrected with the same method as the latest one."""

from __future__ import annotations

from django.utils import timezone

from ..models import format_decimal
from ..models.alerts import Severity
from .base import EcgInfo, Event, Finding, PatientContext, Setting, rule

QTC_SOURCE = (
    "clinical-reference.md A3 QTc row, §2.4 (Goldenberg/Moss/Zareba 2006 cut-offs and Drew 2010 "
    "AHA/ACCF statement [S14], unverified here)"
)


def _ecg(ecg: EcgInfo) -> str:
    return (
        f"QTc {ecg.qtc_ms} ms ({ecg.qtc_method.capitalize()}) on "
        f"{timezone.localdate(ecg.recorded_at):%d %b %Y}"
    )


def baseline_ecg(ctx: PatientContext) -> EcgInfo | None:
    """The first ECG with the latest ECG's QTc method, None when the latest is that first."""
    if not ctx.ecgs:
        return None
    latest = ctx.ecgs[-1]
    first = next(e for e in ctx.ecgs if e.qtc_method == latest.qtc_method)
    return None if first is latest else first


@rule(
    "qtc-prolonged",
    name="QTc prolonged",
    family="ecg",
    severity=Severity.WARNING,
    source=QTC_SOURCE,
    # A3, §2.4: prolonged above 450 ms in men, above 470 ms in women (limits not included).
    params={"men_ms": "450", "women_ms": "470"},
    event=Event.RECORD,
)
def qtc_prolonged(ctx: PatientContext, setting: Setting) -> Finding | None:
    if not ctx.ecgs:
        return None
    latest = ctx.ecgs[-1]
    limit, person = (setting["women_ms"], "woman") if ctx.sex == "F" else (setting["men_ms"], "man")
    if latest.qtc_ms <= limit:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"{_ecg(latest)} is above {format_decimal(limit)} ms for a {person}: prolonged QT; check "
        "potassium, magnesium and QT-prolonging drugs (hydroxychloroquine)",
        subject="qtc",
    )


@rule(
    "qtc-critical",
    name="QTc critical (≥ 500 ms or rise > 60 ms)",
    family="ecg",
    severity=Severity.CRITICAL,
    source=QTC_SOURCE,
    # A3, §2.4 (Drew 2010 [S14]): QTc ≥ 500 ms, or a rise of more than 60 ms from baseline.
    params={"critical_ms": "500", "rise_ms": "60"},
    event=Event.RECORD,
    supersedes=("qtc-prolonged",),
)
def qtc_critical(ctx: PatientContext, setting: Setting) -> Finding | None:
    if not ctx.ecgs:
        return None
    latest = ctx.ecgs[-1]
    reasons = []
    if latest.qtc_ms >= setting["critical_ms"]:
        reasons.append(f"is {format_decimal(setting['critical_ms'])} ms or more")
    baseline = baseline_ecg(ctx)
    if baseline is not None and latest.qtc_ms - baseline.qtc_ms > setting["rise_ms"]:
        reasons.append(
            f"rose {latest.qtc_ms - baseline.qtc_ms} ms from the baseline {_ecg(baseline)} "
            f"(more than {format_decimal(setting['rise_ms'])} ms)"
        )
    if not reasons:
        return None
    return Finding(
        setting.code,
        setting.severity,
        f"{_ecg(latest)} {' and '.join(reasons)}: high risk of torsades de pointes; review "
        "QT-prolonging drugs, correct potassium and magnesium",
        subject="qtc",
    )


@rule(
    "baseline-ecg-missing",
    name="Baseline ECG missing",
    family="ecg",
    severity=Severity.WARNING,
    source="clinical-reference.md A4 (BSR/BHPR 2017 [S45]: initial ECG recommended)",
    event=Event.RECORD,
)
def baseline_ecg_missing(ctx: PatientContext, setting: Setting) -> Finding | None:
    if ctx.ecgs or ctx.regimen_on(ctx.today) is None:
        return None
    return Finding(
        setting.code,
        setting.severity,
        "Baseline ECG missing: no ECG on record for a patient on tacrolimus",
        subject="ecg-baseline",
    )
