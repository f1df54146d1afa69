"""Rules over the rest of the clinical record: interacting medicines, a macrolide allergy, live
vaccines, pregnancy, breastfeeding, and neurotoxicity with a high trough (clinical-reference.md
A5, §5, §7).

State-based RECORD rules: one finding per thing (a medicine and its ingredient, an allergy, a
vaccination, a pregnancy, a symptom), named by its subject, for as long as it holds."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..catalogue.matching import normalise
from ..models import format_decimal
from ..models.alerts import Severity
from .base import Event, Finding, MedicationInfo, PatientContext, ReproductiveInfo, Setting, rule

# Alert.message holds 500 characters; a long medicine name plus the catalogue texts may not fit.
MAX_MESSAGE = 500

# The interaction's own severity (clinical-reference.md §5 design scale) sets the finding's:
# "avoid" tops the worklist, "major" (dose change likely, C0 in 2–3 days) is a warning,
# "moderate" and "minor" stay on the patient page. The clinic's severity setting for the rule
# applies only to an ingredient whose severity is none of these.
INTERACTION_SEVERITY = {
    "avoid": Severity.URGENT,
    "major": Severity.WARNING,
    "moderate": Severity.INFO,
    "minor": Severity.INFO,
}

# Mycophenolate is teratogenic (A5, §7.1 EULAR [S34]); names as normalised by the catalogue
# matcher, so "Mycophénolate mofétil" and "CELLCEPT 500mg" are found.
MYCOPHENOLATE_NAMES = ("mycophenol", "cellcept", "myfortic")


def _clip(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def current_medications(ctx: PatientContext) -> list[MedicationInfo]:
    """Medicines taken today: started on or before today, not stopped (a medicine stopped
    today is no longer taken, as Medication.is_current says)."""
    return [
        m
        for m in ctx.medications
        if m.started_on <= ctx.today and (m.stopped_on is None or m.stopped_on > ctx.today)
    ]


def _current_statuses(ctx: PatientContext, kind: str) -> list[ReproductiveInfo]:
    # The end date is the last day of the status, as on the patient page.
    return [
        s
        for s in ctx.reproductive
        if s.kind == kind
        and s.started_on <= ctx.today
        and (s.ended_on is None or s.ended_on >= ctx.today)
    ]


@rule(
    "interaction",
    name="Interacting medicine",
    family="record",
    severity=Severity.WARNING,
    source="clinical-reference.md A5, §5 (interaction table; severity avoid → urgent, major → "
    "warning, moderate or minor → info)",
    event=Event.RECORD,
)
def interaction(ctx: PatientContext, setting: Setting) -> list[Finding]:
    return [
        Finding(
            setting.code,
            INTERACTION_SEVERITY.get(found.severity, setting.severity),
            _clip(
                f"{medication.name} contains {found.ingredient} ({found.severity} interaction "
                f"with tacrolimus): {found.effect_text}. Action: {found.action}"
            ),
            subject=f"medication:{medication.pk}:{found.code}",
        )
        for medication in current_medications(ctx)
        for found in medication.interactions
    ]


@rule(
    "macrolide-allergy",
    name="Macrolide allergy (contraindication)",
    family="record",
    severity=Severity.CRITICAL,
    source="clinical-reference.md A5, §7.4 (EU SmPC: hypersensitivity to tacrolimus or other "
    "macrolides [S17a])",
    event=Event.RECORD,
)
def macrolide_allergy(ctx: PatientContext, setting: Setting) -> list[Finding]:
    return [
        Finding(
            setting.code,
            setting.severity,
            _clip(
                f"Allergy to {allergy.substance} ({allergy.allergy_class}): hypersensitivity to "
                "tacrolimus or other macrolides contraindicates tacrolimus; doctor review"
            ),
            subject=f"allergy:{allergy.pk}",
        )
        for allergy in ctx.allergies
        if allergy.is_contraindication
    ]


@rule(
    "live-vaccine",
    name="Live vaccine during tacrolimus",
    family="record",
    severity=Severity.CRITICAL,
    source="clinical-reference.md A5, §7.3 (avoid live vaccines during tacrolimus, EU SmPC "
    "[S17e]; Shingrix is not live)",
    event=Event.RECORD,
)
def live_vaccine(ctx: PatientContext, setting: Setting) -> list[Finding]:
    first_start = min((r.started_on for r in ctx.regimens), default=None)
    findings = []
    for vaccination in ctx.vaccinations:
        if not vaccination.is_live:
            continue
        if vaccination.state == "planned" and vaccination.date >= ctx.today:
            message = (
                f"Live vaccine {vaccination.name} planned for {vaccination.date:%d %b %Y}: live "
                "vaccines are to be avoided during tacrolimus; doctor review"
            )
        elif (
            vaccination.state == "given"
            and first_start is not None
            and vaccination.date >= first_start
        ):
            message = (
                f"Live vaccine {vaccination.name} given on {vaccination.date:%d %b %Y}, while on "
                f"tacrolimus (since {first_start:%d %b %Y}): live vaccines are to be avoided "
                "during tacrolimus; doctor review"
            )
        else:
            continue
        findings.append(
            Finding(
                setting.code,
                setting.severity,
                _clip(message),
                subject=f"vaccination:{vaccination.pk}",
            )
        )
    return findings


@rule(
    "pregnancy",
    name="Pregnancy",
    family="record",
    severity=Severity.WARNING,
    source="clinical-reference.md A5, §7.1 (tacrolimus compatible with pregnancy, mycophenolate "
    "not: EULAR 2016 [S34])",
    event=Event.RECORD,
)
def pregnancy(ctx: PatientContext, setting: Setting) -> list[Finding]:
    mycophenolate = [
        m.name
        for m in current_medications(ctx)
        if any(name in normalise(m.name) for name in MYCOPHENOLATE_NAMES)
    ]
    found = f": current medication {', '.join(mycophenolate)}" if mycophenolate else ""
    return [
        Finding(
            setting.code,
            setting.severity,
            _clip(
                f"Pregnant since {status.started_on:%d %b %Y}: doctor review. Tacrolimus is "
                "possible in pregnancy; check for mycophenolate (teratogenic)" + found
            ),
            subject=f"pregnancy:{status.pk}",
        )
        for status in _current_statuses(ctx, "pregnant")
    ]


@rule(
    "breastfeeding",
    name="Breastfeeding",
    family="record",
    severity=Severity.INFO,
    source="clinical-reference.md A5, §7.2 (label: not recommended; LactMed [S33] and EULAR "
    "[S34]: compatible)",
    event=Event.RECORD,
)
def breastfeeding(ctx: PatientContext, setting: Setting) -> list[Finding]:
    return [
        Finding(
            setting.code,
            setting.severity,
            f"Breastfeeding since {status.started_on:%d %b %Y}: discuss with doctor (the label "
            "says not recommended; LactMed and EULAR consider tacrolimus compatible)",
            subject=f"breastfeeding:{status.pk}",
        )
        for status in _current_statuses(ctx, "breastfeeding")
    ]


@rule(
    "neurotoxicity-with-high-trough",
    name="Neurotoxicity symptom with a trough above target",
    family="record",
    severity=Severity.WARNING,
    source="clinical-reference.md A5 (a new symptom with a C0 above band → warning), §7.5",
    params={
        # A5 "a new symptom": started within the last 30 days (product default).
        "symptom_days": "30",
        # The trough that goes with it: drawn within 30 days of the symptom's start, either
        # side (product default).
        "trough_window_days": "30",
    },
    event=Event.RECORD,
)
def neurotoxicity_with_high_trough(ctx: PatientContext, setting: Setting) -> list[Finding]:
    recent = dt.timedelta(days=int(setting["symptom_days"]))
    window = dt.timedelta(days=int(setting["trough_window_days"]))
    findings = []
    for symptom in ctx.symptoms:
        if not symptom.is_neurotoxicity:
            continue
        if not ctx.today - recent <= symptom.started_on <= ctx.today:
            continue
        near = [
            t for t in ctx.troughs if abs(timezone.localdate(t.at) - symptom.started_on) <= window
        ]
        if not near or near[-1].value <= near[-1].target_high:
            continue
        trough = near[-1]
        findings.append(
            Finding(
                setting.code,
                setting.severity,
                f"{symptom.kind.capitalize()} since {symptom.started_on:%d %b %Y} with a "
                f"tacrolimus trough of {format_decimal(trough.value)} ng/mL on "
                f"{timezone.localdate(trough.at):%d %b %Y}, above the target "
                f"{format_decimal(trough.target_low)}–{format_decimal(trough.target_high)} "
                "ng/mL: possible neurotoxicity; doctor review",
                subject=f"symptom:{symptom.pk}",
            )
        )
    return findings
