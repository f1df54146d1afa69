"""ECG rules over the patient's record: a prolonged or critical QTc on the latest ECG, and a
missing baseline ECG (clinical-reference.md A3 QTc row, A4, §2.4).

QTc trends never mix correction methods (A3, §2.4): the baseline of a rise is the first ECG
corrected with the same method as the latest one."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..models.alerts import Severity
from .base import EcgInfo, Event, Finding, PatientContext, Setting, Text, decimal, on, rule

QTC_SOURCE = (
    "clinical-reference.md A3 QTc row, §2.4 (Goldenberg/Moss/Zareba 2006 cut-offs and Drew 2010 "
    "AHA/ACCF statement [S14], unverified here)"
)


def _ecg(ecg: EcgInfo) -> Text:
    return Text(
        gettext_noop("QTc %(qtc)s ms (%(method)s) on %(recorded_on)s"),
        {
            "qtc": str(ecg.qtc_ms),
            "method": ecg.qtc_method.capitalize(),  # a name: Fridericia, Bazett
            "recorded_on": on(timezone.localdate(ecg.recorded_at)),
        },
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
    name=_("QTc prolonged"),
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
    if ctx.sex == "F":
        limit = setting["women_ms"]
        message = gettext_noop(
            "%(ecg)s is above %(limit)s ms for a woman: prolonged QT; check potassium, magnesium "
            "and QT-prolonging drugs (hydroxychloroquine)"
        )
    else:
        limit = setting["men_ms"]
        message = gettext_noop(
            "%(ecg)s is above %(limit)s ms for a man: prolonged QT; check potassium, magnesium "
            "and QT-prolonging drugs (hydroxychloroquine)"
        )
    if latest.qtc_ms <= limit:
        return None
    return Finding(
        setting.code,
        setting.severity,
        Text(message, {"ecg": _ecg(latest), "limit": decimal(limit)}),
        subject="qtc",
    )


@rule(
    "qtc-critical",
    name=_("QTc critical (≥ 500 ms or rise > 60 ms)"),
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
    is_critical = latest.qtc_ms >= setting["critical_ms"]
    baseline = baseline_ecg(ctx)
    has_risen = baseline is not None and latest.qtc_ms - baseline.qtc_ms > setting["rise_ms"]
    params = {"ecg": _ecg(latest), "critical": decimal(setting["critical_ms"])}
    if has_risen:
        params.update(
            rise=str(latest.qtc_ms - baseline.qtc_ms),
            baseline=_ecg(baseline),
            rise_limit=decimal(setting["rise_ms"]),
        )
    if is_critical and has_risen:
        message = gettext_noop(
            "%(ecg)s is %(critical)s ms or more and rose %(rise)s ms from the baseline "
            "%(baseline)s (more than %(rise_limit)s ms): high risk of torsades de pointes; review "
            "QT-prolonging drugs, correct potassium and magnesium"
        )
    elif is_critical:
        message = gettext_noop(
            "%(ecg)s is %(critical)s ms or more: high risk of torsades de pointes; review "
            "QT-prolonging drugs, correct potassium and magnesium"
        )
    elif has_risen:
        message = gettext_noop(
            "%(ecg)s rose %(rise)s ms from the baseline %(baseline)s (more than %(rise_limit)s "
            "ms): high risk of torsades de pointes; review QT-prolonging drugs, correct "
            "potassium and magnesium"
        )
    else:
        return None
    return Finding(setting.code, setting.severity, Text(message, params), subject="qtc")


@rule(
    "baseline-ecg-missing",
    name=_("Baseline ECG missing"),
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
        Text(gettext_noop("Baseline ECG missing: no ECG on record for a patient on tacrolimus")),
        subject="ecg-baseline",
    )
