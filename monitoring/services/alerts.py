"""The rule engine at work: evaluate what was saved, raise or merge alerts, resolve them when
the evidence goes away, and the doctor's acknowledgement. Runs inside the caller's
transaction, whatever the entry path (form, import, admin)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max, Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from .. import rules, schedule
from ..models import (
    Alert,
    Analyte,
    Clinic,
    Decision,
    InteractionFinding,
    LabResult,
    MonitoringInterval,
    Patient,
    Role,
    RuleSetting,
    RuleSuppression,
    Severity,
    User,
    display_unit,
)
from .base import _audit, _lock_patient

# How far back the lab rules look (KDIGO 7 days, BSR creatinine rise over 12 months).
HISTORY_DAYS = 400
# Stored values come back from the database at the field's 6 decimal places.
STORED_PLACES = Decimal("0.000001")


class RuleSession:
    """What the result rules read about the patients of one import (a file, a message),
    loaded once and kept up to date in memory as the import records results, instead of
    queried again for every result: clinic settings, trough targets, silenced rules, the
    open result-rule alerts, and each series' history. Patients are locked once.

    Only for use inside one transaction, by one import that records its results through
    this session (record_result(session=...), the bulk import) and changes nothing else
    of these patients meanwhile."""

    def __init__(self) -> None:
        self._settings: dict[int, dict[str, rules.Setting]] = {}
        self._targets: dict[int, list] = {}
        self._suppressed: dict[int, set[str]] = {}
        self._open: dict[int, list[Alert]] = {}
        # Per patient, the time from which its history is in memory; per (patient pk,
        # analyte pk), that history: [(collected_at, value, pk)] oldest first.
        self._history_since: dict[int, dt.datetime] = {}
        self._series: dict[tuple[int, int], list[tuple]] = {}
        self._locked: set[int] = set()
        self._analytes: dict[str, Analyte] = {}

    def lock(self, patient: Patient) -> None:
        if patient.pk not in self._locked:
            _lock_patient(patient)
            self._locked.add(patient.pk)

    def analyte(self, code: str) -> Analyte:
        if code not in self._analytes:
            self._analytes[code] = Analyte.objects.get(code=code)
        return self._analytes[code]

    def settings(self, clinic: Clinic) -> dict[str, rules.Setting]:
        if clinic.pk not in self._settings:
            self._settings[clinic.pk] = clinic_settings(clinic)
        return self._settings[clinic.pk]

    def targets(self, patient: Patient) -> list:
        if patient.pk not in self._targets:
            self._targets[patient.pk] = list(patient.trough_targets.order_by("starts_at"))
        return self._targets[patient.pk]

    def is_suppressed(self, patient: Patient, rule_code: str) -> bool:
        if patient.pk not in self._suppressed:
            self._suppressed[patient.pk] = set(
                RuleSuppression.objects.active()
                .filter(patient=patient)
                .values_list("rule_code", flat=True)
            )
        return rule_code in self._suppressed[patient.pk]

    def open_alerts(self, patient: Patient) -> list[Alert]:
        """The patient's open alerts of result rules, locked, with their result."""
        if patient.pk not in self._open:
            self._open[patient.pk] = list(
                # of=("self",): PostgreSQL cannot lock the nullable side of the join.
                Alert.objects.select_for_update(of=("self",))
                .select_related("result")
                .filter(
                    patient=patient, status=Alert.Status.OPEN, rule_code__in=result_rule_codes()
                )
            )
        return self._open[patient.pk]

    def load_history(self, patients: Iterable[Patient], since: dt.datetime) -> None:
        """Read the valid results of these patients sampled since `since`, in one query. The
        bulk import calls it before it writes its results, from its earliest sample time
        less HISTORY_DAYS, so that no series is read again once the file is written."""
        pks = {patient.pk for patient in patients}
        self._series = {key: points for key, points in self._series.items() if key[0] not in pks}
        for patient_id, analyte_id, at, value, pk in (
            LabResult.objects.valid()
            .filter(patient__in=pks, collected_at__gte=since)
            .order_by("collected_at")
            .values_list("patient_id", "analyte_id", "collected_at", "value", "pk")
        ):
            self._series.setdefault((patient_id, analyte_id), []).append((at, value, pk))
        self._history_since.update(dict.fromkeys(pks, since))

    def history(self, result: LabResult) -> list[tuple[dt.datetime, Decimal]]:
        """What lab_context's query returns: the valid results of the series sampled in
        the HISTORY_DAYS before `result`, oldest first."""
        since = result.collected_at - dt.timedelta(days=HISTORY_DAYS)
        loaded = self._history_since.get(result.patient_id)
        if loaded is None or loaded > since:
            self.load_history([result.patient], since)
        return [
            (at, value)
            for at, value, pk in self._series.get((result.patient_id, result.analyte_id), ())
            if since <= at < result.collected_at and pk != result.pk
        ]

    def recorded(self, result: LabResult) -> None:
        """`result` is saved: later results of its series see it in their history."""
        if result.patient_id in self._history_since and not result.is_entered_in_error:
            points = self._series.setdefault((result.patient_id, result.analyte_id), [])
            if any(pk == result.pk for _at, _value, pk in points):
                return  # read from the database after it was saved
            point = (
                result.collected_at.astimezone(dt.UTC),
                result.value.quantize(STORED_PLACES),
                result.pk,
            )
            index = len(points)
            while index and points[index - 1][0] > point[0]:
                index -= 1
            points.insert(index, point)

    def opened(self, alert: Alert) -> None:
        if alert.patient_id in self._open and alert not in self._open[alert.patient_id]:
            self._open[alert.patient_id].append(alert)

    def closed(self, alert: Alert) -> None:
        if alert.patient_id in self._open and alert in self._open[alert.patient_id]:
            self._open[alert.patient_id].remove(alert)


def clinic_settings(clinic: Clinic) -> dict[str, rules.Setting]:
    """Every registered rule as this clinic runs it: its own row, or the registry default."""
    rows = {row.code: row for row in RuleSetting.objects.filter(clinic=clinic)}
    settings = {}
    for code, registered in rules.REGISTRY.items():
        row = rows.get(code)
        if row is None:
            settings[code] = rules.default_setting(code)
            continue
        params = dict(registered.definition.params)
        params.update({key: Decimal(str(value)) for key, value in row.params.items()})
        settings[code] = rules.Setting(
            code=code,
            severity=Severity(row.severity),
            params=params,
            version=row.version,
            is_enabled=row.is_enabled,
        )
    return settings


def lab_context(result: LabResult, *, session: RuleSession | None = None) -> rules.LabContext:
    """The plain data the lab rules read about `result` (one query for its history, none
    when the import's session holds it)."""
    analyte, patient = result.analyte, result.patient
    history = (
        session.history(result)
        if session
        else (
            LabResult.objects.valid()
            .filter(
                patient=patient,
                analyte=analyte,
                collected_at__lt=result.collected_at,
                collected_at__gte=result.collected_at - dt.timedelta(days=HISTORY_DAYS),
            )
            .exclude(pk=result.pk)
            .order_by("collected_at")
            .values_list("collected_at", "value")
        )
    )
    reference = (
        rules.base.Range(result.reference_low, result.reference_high)
        if result.reference_low is not None or result.reference_high is not None
        else analyte.reference_range(patient.sex)
    )
    target_low = target_high = None
    if analyte.code == Analyte.TACROLIMUS:
        targets = session.targets(patient) if session else None
        target = patient.trough_target_at(result.collected_at, targets)
        target_low, target_high = target.low, target.high
    return rules.LabContext(
        analyte_code=analyte.code,
        analyte_name=analyte.name,
        unit=display_unit(result.unit),
        value=result.value,
        at=result.collected_at,
        sex=patient.sex,
        reference=reference,
        is_critical=analyte.is_critical(result.value),
        history=tuple(rules.Point(at, value) for at, value in history),
        target_low=target_low,
        target_high=target_high,
    )


def evaluate_result(
    *, result: LabResult, user: User, session: RuleSession | None = None
) -> list[Alert]:
    """Run the result rules that apply to this analyte; raise or merge their alerts, and
    resolve the open alerts of this analyte that a later, now-normal result answers.

    `user` is who caused the evaluation (entered or corrected the result), for the audit.
    An import passes its `session`, which reads what the rules need once per patient.
    """
    if result.is_entered_in_error:
        return []
    ctx = lab_context(result, session=session)
    settings = (
        session.settings(result.patient.clinic)
        if session
        else clinic_settings(result.patient.clinic)
    )
    findings = run_rules(rules.Event.RESULT, ctx, settings, analyte=ctx.analyte_code)
    raised = [
        raise_alert(
            finding=finding,
            setting=settings[finding.rule_code],
            patient=result.patient,
            user=user,
            result=result,
            session=session,
        )
        for finding in findings
    ]
    alerts = [alert for alert in raised if alert is not None]
    _resolve_answered_alerts(result=result, fired=findings, user=user, session=session)
    if session:
        session.recorded(result)
    return alerts


def run_rules(
    event: str, ctx, settings: dict[str, rules.Setting], *, analyte: str | None = None
) -> list[rules.Finding]:
    """The findings of every enabled rule of `event` (for results: of this analyte)."""
    findings = []
    for code, registered in rules.REGISTRY.items():
        if registered.event != event or not settings[code].is_enabled:
            continue
        if analyte is not None and registered.analytes and analyte not in registered.analytes:
            continue
        found = registered.check(ctx, settings[code])
        if isinstance(found, rules.Finding):
            findings.append(found)
        elif found:
            findings.extend(found)
    return rules.most_specific(findings)


def raise_alert(
    *,
    finding: rules.Finding,
    setting: rules.Setting,
    patient: Patient,
    user: User,
    result: LabResult | None = None,
    value_display: str = "",
    session: RuleSession | None = None,
) -> Alert | None:
    """Open an alert, or merge a repeat into the open alert of the same rule and subject (A6).

    The alert keeps the rule version and the parameters it used, and its first value.
    Returns None while a doctor has silenced this rule for this patient. With an import's
    `session` (result rules only), the patient's open alerts and silenced rules are read
    once for the import."""
    if session:
        session.lock(patient)
        if session.is_suppressed(patient, finding.rule_code):
            return None
        alert = next(
            (
                open_alert
                for open_alert in session.open_alerts(patient)
                if (open_alert.rule_code, open_alert.subject)
                == (finding.rule_code, finding.subject)
            ),
            None,
        )
    else:
        _lock_patient(patient)  # two savers at once would both open the alert
        if is_suppressed(patient, finding.rule_code):
            return None
        alert = (
            Alert.objects.select_for_update()
            .filter(
                patient=patient,
                rule_code=finding.rule_code,
                subject=finding.subject,
                status=Alert.Status.OPEN,
            )
            .first()
        )
    now = timezone.now()
    shown = result.value_display if result else value_display
    if alert is None:
        alert = Alert(
            patient=patient,
            rule_code=finding.rule_code,
            subject=finding.subject,
            first_raised_at=now,
            first_value_display=shown,
            occurrences=0,
        )
    # Re-evaluating the same result after a correction (amend_result) is not a repeat, and
    # the alert keeps saying that it was reopened (reopen_if_evidence_changed).
    is_repeat = result is None or alert.result_id != result.pk
    reopened = None if is_repeat else _reopen_note(alert)
    alert.severity = max(alert.severity or 0, finding.severity)
    _set_message(alert, finding.message, reopened=reopened)
    alert.source = rules.REGISTRY[finding.rule_code].definition.source[:300]
    alert.params = {key: str(value) for key, value in setting.params.items()}
    alert.rule_version = setting.version
    alert.grade = finding.grade
    alert.stage = finding.stage
    if result is not None:
        alert.result = result
    alert.value_display = shown
    if is_repeat:
        alert.occurrences += 1
    alert.last_raised_at = now
    # Without the queries full_clean would make for what is known here: the patient and
    # result are the objects passed in, the alert is open (the acknowledgement check cannot
    # fail) and is the patient's only open one of this rule and subject, found above with
    # the patient locked.
    alert.full_clean(exclude=["patient", "result"], validate_constraints=False)
    becomes_critical = alert.severity == Severity.CRITICAL and (
        alert.pk is None
        or Alert.objects.filter(pk=alert.pk, severity__lt=Severity.CRITICAL).exists()
    )
    _audit(alert, user=user)
    alert.save()
    if session:
        session.opened(alert)
    if becomes_critical:
        # Only once the alert is committed: a rolled-back save must not e-mail anyone.
        transaction.on_commit(partial(notify_critical, alert_id=alert.pk))
    return alert


def _set_message(alert: Alert, text: rules.Text, *, reopened: str | dict | None = None) -> None:
    """Store the text as key and params, to render in each reader's language (Alert.text),
    and in English as `message` (e-mail, admin, search), clipped to its 500 characters."""
    alert.message_key = text.msgid
    alert.message_params = rules.base.params_to_json(text.params)
    if reopened is not None:
        alert.message_params["_reopened"] = reopened
    with translation.override("en"):
        alert.message = _clip(alert.text)


def _clip(message: str) -> str:
    # Alert.message holds 500 characters; a long medicine name plus the catalogue texts may not.
    return message if len(message) <= 500 else message[:499] + "…"


def _reopen_note(alert: Alert) -> str | dict | None:
    """Why the alert was reopened (the "what" of REOPENED), if it was."""
    if alert.message_key:
        return alert.message_params.get("_reopened")
    # Raised before issue #5: the note is only in the English message.
    _, found, note = alert.message.partition(REOPENED_EN)
    return note.removesuffix(" after it was acknowledged.") if found else None


def notify_critical(*, alert_id: int) -> int:
    """E-mail the doctors of the patient's clinic that a critical alert waits for them.

    The message holds no patient data, only a link (A6; e-mail is not a safe channel for
    health data). Returns the number of doctors written to."""
    alert = Alert.objects.select_related("patient__clinic").get(pk=alert_id)
    doctors = (
        User.objects.filter(role=Role.DOCTOR, is_active=True, clinics=alert.patient.clinic)
        .exclude(email="")
        .values_list("email", "language")
    )
    # One e-mail per language, each in its recipients' language (issue #5).
    by_language: dict[str, list[str]] = {}
    for email, language in doctors:
        by_language.setdefault(language or settings.LANGUAGE_CODE, []).append(email)
    link = settings.SITE_URL.rstrip("/") + reverse("monitoring:worklist") + "?severity=40"
    for language, recipients in sorted(by_language.items()):
        with translation.override(language):
            send_mail(
                subject=gettext("tdm-tracker: a critical alert needs review"),
                message="\n\n".join(
                    [
                        gettext(
                            "A critical alert has been raised in your clinic and needs review."
                        ),
                        gettext("Open the worklist: %(link)s") % {"link": link},
                        gettext(NO_PATIENT_DATA),
                    ]
                ),
                from_email=None,
                recipient_list=recipients,
            )
    return sum(len(recipients) for recipients in by_language.values())


# The last line of every e-mail (A6: e-mail is not a safe channel for health data).
NO_PATIENT_DATA = gettext_noop("For confidentiality this message contains no patient information.")


def result_rule_codes() -> list[str]:
    return [
        code
        for code, registered in rules.REGISTRY.items()
        if registered.event == rules.Event.RESULT
    ]


def _newest_first(alert: Alert):
    return -alert.last_raised_at.timestamp()


def _resolve_answered_alerts(
    *,
    result: LabResult,
    fired: Iterable[rules.Finding],
    user: User,
    session: RuleSession | None = None,
) -> None:
    """A later result of the same analyte on which a rule no longer fires answers that rule's
    open alert: it is resolved with a note (issue #4, alert lifecycle)."""
    fired_codes = {finding.rule_code for finding in fired}
    if session:
        answered = [
            alert
            # In the order of the query below (Alert.Meta.ordering).
            for alert in sorted(session.open_alerts(result.patient), key=_newest_first)
            if alert.subject == result.analyte.code
            and alert.rule_code not in fired_codes
            and alert.result is not None
            and alert.result.collected_at < result.collected_at
        ]
    else:
        answered = (
            Alert.objects.select_for_update()
            .filter(
                patient=result.patient,
                subject=result.analyte.code,
                status=Alert.Status.OPEN,
                rule_code__in=result_rule_codes(),
                result__collected_at__lt=result.collected_at,
            )
            .exclude(rule_code__in=fired_codes)
        )
    when = timezone.localtime(result.collected_at)
    for alert in answered:
        # Replaced only by a finding whose rule supersedes this one (9 then 16 ng/mL); a
        # finding of another kind (9 then 5 ng/mL) answers the alert like a normal result.
        replacing = [
            f
            for f in fired
            if f.subject == alert.subject
            and alert.rule_code in rules.REGISTRY[f.rule_code].definition.supersedes
        ]
        if replacing:
            with translation.override("en"):  # the resolution is stored in English
                names = ", ".join(
                    str(rules.REGISTRY[f.rule_code].definition.name) for f in replacing
                )
            note = f"Replaced by a more specific alert on a later result ({names})"
        else:
            note = "Resolved by a later result"
        _resolve(
            alert,
            user=user,
            resolution=f"{note}: {result.value_display} on {when:%d %b %Y}",
        )
        if session:
            session.closed(alert)


def _resolve(alert: Alert, *, user: User, resolution: str) -> None:
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = timezone.now()
    alert.resolution = resolution
    _audit(alert, user=user, reason=resolution)
    alert.save()


def _resolve_alerts_raised_only_by(
    *, result: LabResult, user: User, resolution: str, keep: Collection[int] = ()
) -> None:
    """Close the open alerts whose only evidence was this result (it is gone or changed).

    Alerts merged from several results stay open: the other results still stand.
    """
    alerts = Alert.objects.select_for_update().filter(
        result=result, status=Alert.Status.OPEN, occurrences=1
    )
    for alert in alerts.exclude(pk__in=keep):
        _resolve(alert, user=user, resolution=resolution)


def fingerprint(alert: Alert) -> str:
    """What the alert stood on: its result's identity, value, time and status."""
    result = alert.result
    seen = (
        f"{result.pk}|{result.value}|{result.collected_at.isoformat()}|{result.status}"
        if (result)
        else f"{alert.rule_code}|{alert.subject}|{alert.message}"
    )
    return hashlib.sha256(seen.encode()).hexdigest()


@transaction.atomic
def acknowledge_alert(
    *,
    alert: Alert,
    user: User,
    comment: str,
    decision: str = Decision.NO_CHANGE,
    repeat_due_on: dt.date | None = None,
) -> Alert:
    """A doctor has seen the alert and records the decision; it leaves the open list.

    "Dose changed" links the regimen started since the alert was raised; "repeat test"
    needs the date the test is due; "no change" needs the reason (in the comment)."""
    comment = comment.strip()
    if not comment:
        raise ValidationError(
            {"comment": gettext("Say what you decided (for example 'dose reduced').")}
        )
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to result.
    alert = Alert.objects.select_for_update(of=("self",)).select_related("result").get(pk=alert.pk)
    if not alert.is_open:
        raise ValidationError(
            gettext("This alert was already %(status)s.")
            % {"status": alert.get_status_display().lower()},
            code="not_open",
        )
    regimen = None
    if decision == Decision.DOSE_CHANGED:
        regimen = (
            alert.patient.regimens.valid()
            .filter(started_on__gte=timezone.localtime(alert.first_raised_at).date())
            .order_by("-started_on", "-pk")
            .first()
        )
        if regimen is None:
            raise ValidationError(
                {
                    "decision": gettext(
                        "Record the new regimen first: no regimen was started since the "
                        "alert was raised."
                    )
                }
            )
    elif decision == Decision.REPEAT_TEST:
        if repeat_due_on is None or repeat_due_on < timezone.localdate():
            raise ValidationError(
                {"repeat_due_on": gettext("Give the date the repeat test is due.")}
            )
    elif decision != Decision.NO_CHANGE:
        raise ValidationError({"decision": gettext("Choose a decision.")})
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.acknowledgement_comment = comment
    alert.decision = decision
    alert.decision_regimen = regimen
    alert.repeat_due_on = repeat_due_on if decision == Decision.REPEAT_TEST else None
    alert.acknowledged_fingerprint = fingerprint(alert)
    _audit(alert, user=user, reason=f"Acknowledged ({alert.get_decision_display()}): {comment}")
    alert.save()
    return alert


# How a reopened alert's English message said so before issue #5 (now rules.base.REOPENED).
REOPENED_EN = " — Reopened: "


def reopen_if_evidence_changed(
    *, result: LabResult, user: User, what: str | rules.Text
) -> list[Alert]:
    """Acknowledged alerts that stood on `result` reopen when it was corrected since, and
    say so; the doctor's acknowledgement stays in the alert's history."""
    reopened = []
    for alert in Alert.objects.select_for_update().filter(
        result=result, status=Alert.Status.ACKNOWLEDGED
    ):
        if alert.acknowledged_fingerprint == fingerprint(alert):
            continue
        if Alert.objects.filter(
            patient=alert.patient,
            rule_code=alert.rule_code,
            subject=alert.subject,
            status=Alert.Status.OPEN,
        ).exists():
            continue  # a newer open alert of the same rule already asks for review
        what_english = what.english() if isinstance(what, rules.Text) else what
        note = f"Reopened: {what_english} after it was acknowledged."
        alert.status = Alert.Status.OPEN
        why = what.to_json() if isinstance(what, rules.Text) else what
        if alert.message_key:
            _set_message(alert, rules.Text(alert.message_key, alert.message_params), reopened=why)
        else:
            alert.message = f"{alert.message} — {note}"[:500]
        _audit(alert, user=user, reason=note)
        alert.save()
        reopened.append(alert)
    return reopened


@transaction.atomic
def suppress_rule(
    *, patient: Patient, rule_code: str, until: dt.datetime, reason: str, user: User
) -> RuleSuppression:
    """Silence one rule for one patient until `until` (at most 90 days), with a reason."""
    reason = reason.strip()
    if rule_code not in rules.REGISTRY:
        raise ValidationError({"rule_code": "Unknown rule."})
    if not reason:
        raise ValidationError({"reason": gettext("Give the reason for silencing this rule.")})
    now = timezone.now()
    if until <= now or until > now + dt.timedelta(days=MAX_SUPPRESSION_DAYS):
        raise ValidationError(
            {
                "until": gettext("Choose a date within the next %(days)s days.")
                % {"days": MAX_SUPPRESSION_DAYS}
            }
        )
    suppression = RuleSuppression(
        patient=patient, rule_code=rule_code, until=until, reason=reason, created_by=user
    )
    suppression.full_clean()
    _audit(suppression, user=user)
    suppression.save()
    return suppression


# A silenced rule comes back by itself: a suppression never lasts longer than this.
MAX_SUPPRESSION_DAYS = 90


def is_suppressed(patient: Patient, rule_code: str) -> bool:
    return RuleSuppression.objects.active().filter(patient=patient, rule_code=rule_code).exists()


# --- Record rules: the patient's whole record, state-based ----------------------------------


@dataclass(frozen=True)
class PatientRecord:
    """The patient's record as model instances, each list read once, in the order the
    pages show it (the models' default ordering, newest first). `patient_context` derives the
    rules' plain data from it, so that a page shows the record and the rules' conclusions
    without reading anything twice (issue #8)."""

    targets: list  # TroughTarget, oldest first (what trough_target_at expects), with set_by
    troughs: list  # valid tacrolimus LabResults, oldest first, with their analyte
    regimens: list  # valid, newest first, with the prescriber
    weights: list  # valid, newest first
    medications: list  # valid, newest first, findings and their ingredient prefetched
    allergies: list = field(default_factory=list)
    vaccinations: list = field(default_factory=list)
    reproductive: list = field(default_factory=list)
    symptoms: list = field(default_factory=list)
    ecgs: list = field(default_factory=list)


def load_record(patient: Patient, *, chart_only: bool = False) -> PatientRecord:
    """One query per list, whatever the length of the record. `chart_only` reads just what
    the trough chart and the monitoring schedule use (the portal home): allergies,
    vaccinations, pregnancy, symptoms and ECGs stay empty, so its context is not for the
    record rules."""
    record = PatientRecord(
        targets=list(patient.trough_targets.select_related("set_by").order_by("starts_at", "pk")),
        troughs=list(
            LabResult.objects.valid()
            .troughs()
            .for_patient(patient)
            .select_related("analyte")
            .order_by("collected_at", "pk")
        ),
        regimens=list(patient.regimens.valid().select_related("prescriber")),
        weights=list(patient.weights.valid()),
        medications=list(
            patient.medications.valid().prefetch_related(
                Prefetch("findings", InteractionFinding.objects.select_related("ingredient"))
            )
        ),
    )
    if chart_only:
        return record
    return replace(
        record,
        allergies=list(patient.allergies.valid()),
        vaccinations=list(patient.vaccinations.valid()),
        reproductive=list(patient.reproductive_statuses.valid()),
        symptoms=list(patient.symptoms.valid()),
        ecgs=list(patient.ecgs.valid()),
    )


def _oldest_first(entries: list, day: str) -> list:
    return sorted(entries, key=lambda entry: (getattr(entry, day), entry.pk))


def patient_context(
    patient: Patient, *, now: dt.datetime | None = None, record: PatientRecord | None = None
) -> rules.PatientContext:
    """The plain data the record rules read (a fixed handful of queries), from `record` when
    the caller has read it already."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    record = record or load_record(patient)
    troughs = []
    for result in record.troughs:
        target = patient.trough_target_at(result.collected_at, record.targets)
        troughs.append(
            rules.base.TroughInfo(
                pk=result.pk,
                at=result.collected_at,
                value=result.value,
                last_dose_at=result.last_dose_at,
                target_low=target.low,
                target_high=target.high,
            )
        )
    medications = []
    for medication in record.medications:
        interactions = tuple(
            rules.base.InteractionInfo(
                code=f.ingredient.code,
                ingredient=f.ingredient.ingredient,
                effect=f.ingredient.effect,
                effect_text=f.ingredient.effect_text,
                severity=f.ingredient.severity,
                action=f.ingredient.action,
                recheck_days=f.ingredient.recheck_days,
            )
            for f in medication.findings.all()
        )
        medications.append(
            rules.base.MedicationInfo(
                pk=medication.pk,
                name=medication.name,
                started_on=medication.started_on,
                stopped_on=medication.stopped_on,
                interactions=interactions,
            )
        )
    regimens = _oldest_first(record.regimens, "started_on")
    dues = _dues(patient, today=today, regimens=regimens, medications=medications)
    return rules.base.PatientContext(
        dues=tuple(dues),
        sex=patient.sex,
        age=patient.age_on(today),
        now=now,
        today=today,
        regimens=tuple(
            rules.base.RegimenInfo(
                pk=r.pk,
                product=r.product,
                formulation=r.formulation,
                daily_dose_mg=r.daily_dose_mg,
                started_on=r.started_on,
                ended_on=r.ended_on,
                is_formulation_switch=r.is_formulation_switch,
            )
            for r in regimens
        ),
        weights=tuple(
            rules.base.WeightInfo(kg=w.weight_kg, measured_on=w.measured_on)
            for w in _oldest_first(record.weights, "measured_on")
        ),
        troughs=tuple(troughs),
        medications=tuple(sorted(medications, key=lambda m: (m.started_on, m.pk))),
        allergies=tuple(
            rules.base.AllergyInfo(
                pk=a.pk,
                substance=a.substance,
                allergy_class=a.allergy_class,
                is_contraindication=a.is_contraindication,
            )
            for a in sorted(record.allergies, key=lambda a: a.pk)
        ),
        vaccinations=tuple(
            rules.base.VaccinationInfo(
                pk=v.pk, name=v.name, state=v.state, date=v.date, is_live=v.is_live
            )
            for v in _oldest_first(record.vaccinations, "date")
        ),
        reproductive=tuple(
            rules.base.ReproductiveInfo(
                pk=s.pk, kind=s.kind, started_on=s.started_on, ended_on=s.ended_on
            )
            for s in _oldest_first(record.reproductive, "started_on")
        ),
        symptoms=tuple(
            rules.base.SymptomInfo(
                pk=s.pk,
                kind=s.kind,
                started_on=s.started_on,
                is_neurotoxicity=s.is_neurotoxicity,
                entered_at=s.entered_at,
            )
            for s in _oldest_first(record.symptoms, "started_on")
        ),
        ecgs=tuple(
            rules.base.EcgInfo(
                pk=e.pk, recorded_at=e.recorded_at, qtc_ms=e.qtc_ms, qtc_method=e.qtc_method
            )
            for e in _oldest_first(record.ecgs, "recorded_at")
        ),
    )


def _dues(patient: Patient, *, today: dt.date, regimens: list, medications: list) -> list:
    """When each monitoring test is next due (monitoring/schedule.py), from the record."""
    last_done: dict[str, dt.date] = {}
    last_done_at: dict[str, dt.datetime] = {}
    latest = (
        LabResult.objects.valid()
        .for_patient(patient)
        .values("analyte__code")
        .annotate(last=Max("collected_at"))
        .values_list("analyte__code", "last")
    )
    for code, last in latest:
        test = schedule.test_of(code)
        if test:
            day = timezone.localtime(last).date()
            last_done[test] = max(last_done.get(test, day), day)
            last_done_at[test] = max(last_done_at.get(test, last), last)
    protocol = {}
    # The clinic's protocol, then the patient's own overrides on top.
    for interval in MonitoringInterval.objects.filter(
        Q(clinic=patient.clinic) | Q(patient=patient)
    ).order_by(F("patient").asc(nulls_first=True)):
        protocol[interval.test] = (interval.initial_days, interval.stable_days)
    changes = []
    for regimen in regimens[1:]:
        what = rules.Text(
            gettext_noop("the formulation switch")
            if regimen.is_formulation_switch
            else gettext_noop("the dose change")
        )
        changes.append(schedule.Change(regimen.started_on, what))
    for medication in medications:
        for interaction in medication.interactions:
            if interaction.effect not in ("increase", "decrease", "increase-or-decrease"):
                continue  # only pharmacokinetic interactions move the trough (A5)
            changes.append(
                schedule.Change(
                    medication.started_on,
                    rules.Text(
                        gettext_noop("starting %(medication)s"), {"medication": medication.name}
                    ),
                    interaction.recheck_days,
                )
            )
            if medication.stopped_on:
                changes.append(
                    schedule.Change(
                        medication.stopped_on,
                        rules.Text(
                            gettext_noop("stopping %(medication)s"),
                            {"medication": medication.name},
                        ),
                        interaction.recheck_days,
                    )
                )
    orders = []
    for subject, acknowledged_at, due_on in Alert.objects.filter(
        patient=patient,
        decision=Decision.REPEAT_TEST,
        status=Alert.Status.ACKNOWLEDGED,
        repeat_due_on__isnull=False,
    ).values_list("subject", "acknowledged_at", "repeat_due_on"):
        test = schedule.test_of(subject)
        if test is None:
            continue
        if test in last_done_at and last_done_at[test] > acknowledged_at:
            continue  # met by a sample drawn after the order, be it the same day
        orders.append((test, timezone.localtime(acknowledged_at).date(), due_on))
    increases = [
        regimen.started_on
        for previous, regimen in zip(regimens, regimens[1:], strict=False)
        if regimen.daily_dose_mg > previous.daily_dose_mg
    ]
    return schedule.due_dates(
        today=today,
        treatment_start=regimens[0].started_on if regimens else None,
        last_increase=max(increases) if increases else None,
        last_done=last_done,
        changes=tuple(changes),
        repeat_orders=tuple(orders),
        protocol=protocol,
    )


def record_rule_codes() -> list[str]:
    return [
        code
        for code, registered in rules.REGISTRY.items()
        if registered.event == rules.Event.RECORD
    ]


def evaluate_record(*, patient: Patient, user: User | None, now: dt.datetime | None = None):
    """Bring the patient's record-rule alerts in line with the record as it stands.

    A finding with no live alert (open or acknowledged) opens one; a live alert is updated
    (severity only escalates) but never re-raised; a live alert whose finding is gone is
    resolved. Returns the alerts opened."""
    codes = record_rule_codes()
    if not codes:
        return []
    settings = clinic_settings(patient.clinic)
    findings = run_rules(rules.Event.RECORD, patient_context(patient, now=now), settings)
    live = {
        (alert.rule_code, alert.subject): alert
        for alert in Alert.objects.select_for_update().filter(
            patient=patient,
            rule_code__in=codes,
            status__in=[Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED],
        )
    }
    opened = []
    for finding in findings:
        alert = live.pop((finding.rule_code, finding.subject), None)
        if alert is None:
            raised = raise_alert(
                finding=finding, setting=settings[finding.rule_code], patient=patient, user=user
            )
            if raised is not None:  # None while the rule is silenced for this patient
                opened.append(raised)
        elif finding.severity > alert.severity or _clip(finding.message.english()) != alert.message:
            escalated = finding.severity > alert.severity
            alert.severity = max(alert.severity, finding.severity)
            _set_message(alert, finding.message)
            alert.last_raised_at = timezone.now()
            reason = "Condition changed"
            if escalated and alert.status == Alert.Status.ACKNOWLEDGED:
                # Worse than when the doctor saw it: back to the worklist (e.g. an overdue
                # test now urgent, A4).
                alert.status = Alert.Status.OPEN
                reason = f"Reopened: now {alert.get_severity_display().lower()}"
            _audit(alert, user=user, reason=reason)
            alert.save()
    for alert in live.values():
        _resolve(alert, user=user, resolution="No longer present in the record")
    return opened


# --- Rule settings per clinic --------------------------------------------------------------


@transaction.atomic
def ensure_rule_settings(*, clinic: Clinic, user: User | None = None) -> int:
    """Give the clinic a settings row for every registered rule (registry defaults), so its
    administrators can see and change each one in the admin. Returns the rows created."""
    existing = set(RuleSetting.objects.filter(clinic=clinic).values_list("code", flat=True))
    created = 0
    for code, registered in rules.REGISTRY.items():
        if code in existing:
            continue
        definition = registered.definition
        setting = RuleSetting(
            clinic=clinic,
            code=code,
            severity=definition.severity,
            params={key: str(value) for key, value in definition.params.items()},
        )
        _audit(setting, user=user, reason="Registry default")
        setting.save()
        created += 1
    return created


@transaction.atomic
def update_rule_setting(
    *,
    setting: RuleSetting,
    user: User,
    reason: str,
    is_enabled: bool,
    severity: int,
    params: dict,
) -> RuleSetting:
    """Change how a clinic runs a rule: a new version, audited with who and why. Alerts keep
    the version and parameters they were raised with."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the rule is changed."})
    known = rules.REGISTRY[setting.code].definition.params
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValidationError(
            {
                "params": f"Unknown parameter(s) {', '.join(unknown)}; this rule takes "
                f"{', '.join(sorted(known)) or 'none'}."
            }
        )
    clean = {}
    for key, value in params.items():
        try:
            clean[key] = str(Decimal(str(value)))
        except ArithmeticError:
            raise ValidationError({"params": f"{key} must be a number, not {value!r}."}) from None
    setting = RuleSetting.objects.select_for_update().get(pk=setting.pk)
    setting.is_enabled = is_enabled
    setting.severity = severity
    setting.params = clean
    setting.version += 1
    setting.full_clean()
    _audit(setting, user=user, reason=reason)
    setting.save()
    return setting


def dose_suggestion(patient: Patient, *, context: rules.PatientContext | None = None):
    """The proportional dose suggestion for the patient's latest trough (A2), or None."""
    from ..models import PRODUCTS
    from ..suggestion import suggest_dose

    return suggest_dose(
        context or patient_context(patient),
        settings=clinic_settings(patient.clinic),
        strengths_mg={
            product: tuple(Decimal(s) for s in strengths)
            for product, (_, strengths) in PRODUCTS.items()
        },
    )
