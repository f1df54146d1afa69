"""Rules over the rest of the clinical record: interacting medicines, a macrolide allergy, live
vaccines, pregnancy, breastfeeding, and neurotoxicity with a high trough (clinical-reference.md
A5, §5, §7).

State-based RECORD rules: one finding per thing (a medicine and its ingredient, an allergy, a
vaccination, a pregnancy, a symptom), named by its subject, for as long as it holds."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..catalogue.matching import normalise
from ..models.alerts import Severity
from .base import (
    Event,
    Finding,
    MedicationInfo,
    PatientContext,
    ReproductiveInfo,
    Setting,
    Text,
    decimal,
    on,
    rule,
)

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


# The interaction's severity and the neurotoxicity symptoms in words (msgids).
INTERACTION_WORDS = {
    "avoid": gettext_noop("avoid"),
    "major": gettext_noop("major"),
    "moderate": gettext_noop("moderate"),
    "minor": gettext_noop("minor"),
}
SYMPTOM_NAMES = {
    "tremor": gettext_noop("Tremor"),
    "headache": gettext_noop("Headache"),
    "paresthesia": gettext_noop("Paresthesia"),
    "agitation": gettext_noop("Agitation"),
    "anxiety": gettext_noop("Anxiety"),
    "insomnia": gettext_noop("Insomnia"),
}


def _word(words: dict[str, str], code: str, default: str) -> Text | str:
    return Text(words[code]) if code in words else default


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
    name=_("Interacting medicine"),
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
            # The catalogue's effect and action texts are msgids ("_text" keys, see Text).
            Text(
                gettext_noop(
                    "%(medication)s contains %(ingredient)s (%(severity)s interaction with "
                    "tacrolimus): %(effect_text)s. Action: %(action_text)s"
                ),
                {
                    "medication": medication.name,
                    "ingredient": found.ingredient,
                    "severity": _word(INTERACTION_WORDS, found.severity, found.severity),
                    "effect_text": found.effect_text,
                    "action_text": found.action,
                },
            ),
            subject=f"medication:{medication.pk}:{found.code}",
        )
        for medication in current_medications(ctx)
        for found in medication.interactions
    ]


@rule(
    "macrolide-allergy",
    name=_("Macrolide allergy (contraindication)"),
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
            Text(
                gettext_noop(
                    "Allergy to %(substance)s (%(allergy_class)s): hypersensitivity to tacrolimus "
                    "or other macrolides contraindicates tacrolimus; doctor review"
                ),
                {"substance": allergy.substance, "allergy_class": allergy.allergy_class},
            ),
            subject=f"allergy:{allergy.pk}",
        )
        for allergy in ctx.allergies
        if allergy.is_contraindication
    ]


@rule(
    "live-vaccine",
    name=_("Live vaccine during tacrolimus"),
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
            message = Text(
                gettext_noop(
                    "Live vaccine %(vaccine)s planned for %(planned_on)s: live vaccines are to be "
                    "avoided during tacrolimus; doctor review"
                ),
                {"vaccine": vaccination.name, "planned_on": on(vaccination.date)},
            )
        elif (
            vaccination.state == "given"
            and first_start is not None
            and vaccination.date >= first_start
        ):
            message = Text(
                gettext_noop(
                    "Live vaccine %(vaccine)s given on %(given_on)s, while on tacrolimus (since "
                    "%(since_on)s): live vaccines are to be avoided during tacrolimus; doctor "
                    "review"
                ),
                {
                    "vaccine": vaccination.name,
                    "given_on": on(vaccination.date),
                    "since_on": on(first_start),
                },
            )
        else:
            continue
        findings.append(
            Finding(
                setting.code,
                setting.severity,
                message,
                subject=f"vaccination:{vaccination.pk}",
            )
        )
    return findings


@rule(
    "pregnancy",
    name=_("Pregnancy"),
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
    if mycophenolate:
        message = gettext_noop(
            "Pregnant since %(since_on)s: doctor review. Tacrolimus is possible in pregnancy; "
            "check for mycophenolate (teratogenic): current medication %(medications)s"
        )
    else:
        message = gettext_noop(
            "Pregnant since %(since_on)s: doctor review. Tacrolimus is possible in pregnancy; "
            "check for mycophenolate (teratogenic)"
        )
    return [
        Finding(
            setting.code,
            setting.severity,
            Text(
                message,
                {"since_on": on(status.started_on), "medications": ", ".join(mycophenolate)},
            ),
            subject=f"pregnancy:{status.pk}",
        )
        for status in _current_statuses(ctx, "pregnant")
    ]


@rule(
    "breastfeeding",
    name=_("Breastfeeding"),
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
            Text(
                gettext_noop(
                    "Breastfeeding since %(since_on)s: discuss with doctor (the label says not "
                    "recommended; LactMed and EULAR consider tacrolimus compatible)"
                ),
                {"since_on": on(status.started_on)},
            ),
            subject=f"breastfeeding:{status.pk}",
        )
        for status in _current_statuses(ctx, "breastfeeding")
    ]


@rule(
    "neurotoxicity-with-high-trough",
    name=_("Neurotoxicity symptom with a trough above target"),
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
                Text(
                    gettext_noop(
                        "%(symptom)s since %(since_on)s with a tacrolimus trough of %(value)s "
                        "ng/mL on %(sampled_on)s, above the target %(low)s–%(high)s ng/mL: "
                        "possible neurotoxicity; doctor review"
                    ),
                    {
                        "symptom": _word(SYMPTOM_NAMES, symptom.kind, symptom.kind.capitalize()),
                        "since_on": on(symptom.started_on),
                        "value": decimal(trough.value),
                        "sampled_on": on(timezone.localdate(trough.at)),
                        "low": decimal(trough.target_low),
                        "high": decimal(trough.target_high),
                    },
                ),
                subject=f"symptom:{symptom.pk}",
            )
        )
    return findings
