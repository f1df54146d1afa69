"""Writes of results, targets and alerts: each atomic, validated and audited.

Every function takes keyword arguments, runs in one transaction and records the acting user
(and, for changes to saved data, the reason) on the history rows it writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import rules
from ..models import (
    Alert,
    Analyte,
    AnalyteUnit,
    InboundMessage,
    LabResult,
    Patient,
    ResultStatus,
    TroughTarget,
    User,
    display_unit,
    format_decimal,
)
from .alerts import (
    RuleSession,
    _resolve_alerts_raised_only_by,
    evaluate_record,
    evaluate_result,
    reopen_if_evidence_changed,
)
from .base import _audit, _lock_patient


def find_duplicate(
    *, patient: Patient, analyte: Analyte, collected_at: dt.datetime, exclude_pk=None
) -> LabResult | None:
    duplicates = LabResult.objects.valid().filter(
        patient=patient, analyte=analyte, collected_at=collected_at
    )
    if exclude_pk:
        duplicates = duplicates.exclude(pk=exclude_pk)
    return duplicates.first()


def find_duplicates(
    keys: Iterable[tuple[Patient, Analyte, dt.datetime]],
) -> dict[tuple[int, int, dt.datetime], LabResult]:
    """find_duplicate for many results in one query: the recorded valid result of each
    (patient, analyte, sample time) that has one, by (patient pk, analyte pk, time)."""
    keys = list(keys)
    if not keys:
        return {}
    # One range of times rather than an IN list of every time (bounded by MAX_ROWS, but
    # database parameter limits vary); the exact keys are picked out below.
    times = [at for _patient, _analyte, at in keys]
    wanted = {(patient.pk, analyte.pk, at) for patient, analyte, at in keys}
    candidates = (
        LabResult.objects.valid()
        .filter(
            patient__in={patient.pk for patient, _analyte, _at in keys},
            analyte__in={analyte.pk for _patient, analyte, _at in keys},
            collected_at__range=(min(times), max(times)),
        )
        .select_related("analyte")
    )
    found = {}
    for result in candidates:
        key = (result.patient_id, result.analyte_id, result.collected_at)
        if key in wanted:
            found[key] = result
    return found


class DuplicateResultError(ValidationError):
    """The same patient, analyte and sample time is already recorded; `existing` is it."""

    def __init__(self, existing: LabResult):
        entered = timezone.localtime(existing.entered_at)
        super().__init__(
            _(
                "%(analyte)s at this sample time is already recorded "
                "(%(value)s, entered %(entered)s)."
            ),
            code="duplicate",
            params={
                "analyte": existing.analyte.display_name,
                "value": existing.value_display,
                "entered": date_format(entered, "d M Y H:i"),
            },
        )
        self.existing = existing


class ImplausibleValueError(ValidationError):
    """A value outside the analyte's plausibility range that nobody has confirmed."""


@transaction.atomic
def record_result(
    *,
    patient: Patient,
    analyte: Analyte,
    value: Decimal,
    collected_at: dt.datetime,
    entered_by: User,
    unit: AnalyteUnit | None = None,
    last_dose_at: dt.datetime | None = None,
    comment: str = "",
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    confirmed_implausible: bool = False,
    derived_method: str = "",
    derived_from: LabResult | None = None,
    run_record_rules: bool = True,
    status: str = ResultStatus.FINAL,
    comparator: str = "",
    source_message: InboundMessage | None = None,
    session: RuleSession | None = None,
) -> tuple[LabResult, list[Alert]]:
    """Store one result and evaluate its rules, in one transaction.

    `value` is in `unit` (the canonical unit when None); it is stored converted to the
    canonical unit, and as entered. The lab's reference range, if given, is in `unit` too.
    A value outside the plausibility range needs `confirmed_implausible`, which is recorded.
    Laboratory interfaces also pass the status the lab gave (preliminary or final), the
    comparator of a censored value ("<" with the assay's limit as `value`) and the message.
    Returns the result and the alerts it raised or merged into. Raises ValidationError
    (and writes nothing) for an invalid, implausible or duplicate result. An import passes
    its `session` (alerts.RuleSession), which reads what the rules need once per patient.
    """
    if session:
        session.lock(patient)
    else:
        _lock_patient(patient)
    duplicate = find_duplicate(patient=patient, analyte=analyte, collected_at=collected_at)
    if duplicate:
        raise DuplicateResultError(duplicate)
    result = new_result(
        patient=patient,
        analyte=analyte,
        value=value,
        collected_at=collected_at,
        entered_by=entered_by,
        unit=unit,
        last_dose_at=last_dose_at,
        comment=comment,
        reference_low=reference_low,
        reference_high=reference_high,
        confirmed_implausible=confirmed_implausible,
        derived_method=derived_method,
        derived_from=derived_from,
        status=status,
        comparator=comparator,
        source_message=source_message,
    )
    result.save()
    alerts = evaluate_result(result=result, user=entered_by, session=session)
    if run_record_rules:  # a panel runs them once, after its last value
        alerts += evaluate_record(patient=patient, user=entered_by)
    return result, alerts


def new_result(
    *,
    patient: Patient,
    analyte: Analyte,
    value: Decimal,
    collected_at: dt.datetime,
    entered_by: User,
    unit: AnalyteUnit | None = None,
    last_dose_at: dt.datetime | None = None,
    comment: str = "",
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    confirmed_implausible: bool = False,
    derived_method: str = "",
    derived_from: LabResult | None = None,
    status: str = ResultStatus.FINAL,
    comparator: str = "",
    source_message: InboundMessage | None = None,
) -> LabResult:
    """The result record_result saves, converted, validated and audited but not saved yet:
    for record_result, and for the bulk import, which saves many at once. The caller has
    locked the patient and looked for a duplicate. Raises ValidationError as record_result.
    """
    convert = unit.to_canonical if unit else (lambda v: v)
    canonical = convert(value)
    # A derived value (eGFR) was not typed: there is nothing for anyone to confirm.
    needs_confirmation = not derived_method and not analyte.is_plausible(canonical)
    if needs_confirmation and not confirmed_implausible:
        raise ImplausibleValueError(
            {"value": implausible_message(analyte, value, unit)}, code="implausible"
        )
    result = LabResult(
        patient=patient,
        analyte=analyte,
        value=canonical,
        unit=analyte.unit,
        value_as_entered=value,
        unit_as_entered=unit.code if unit else analyte.unit,
        reference_low=convert(reference_low) if reference_low is not None else None,
        reference_high=convert(reference_high) if reference_high is not None else None,
        collected_at=collected_at,
        last_dose_at=last_dose_at,
        entered_by=entered_by,
        comment=comment,
        derived_method=derived_method,
        derived_from=derived_from,
        status=status,
        comparator=comparator,
        source_message=source_message,
    )
    if needs_confirmation:
        result.plausibility_confirmed_by = entered_by
        result.plausibility_confirmed_at = timezone.now()
    # The constraints are not validated here, each at the cost of a query: the check
    # constraints repeat the field choices and clean(), which full_clean runs, and the
    # unique one is the duplicate check the caller made with the patient locked.
    # Nor are the foreign keys, a query each: they are the objects passed in, and the
    # database refuses a dangling one anyway.
    result.full_clean(
        exclude=[
            "patient",
            "analyte",
            "entered_by",
            "plausibility_confirmed_by",
            "derived_from",
            "source_message",
        ],
        validate_constraints=False,
    )
    _audit(result, user=entered_by)
    return result


def implausible_message(analyte: Analyte, value: Decimal, unit: AnalyteUnit | None) -> str:
    """Says what was typed, the plausible range in the same unit, and the usual typos."""
    shown_unit = unit.label if unit else display_unit(analyte.unit)
    back = unit.from_canonical if unit else (lambda v: v)
    limits = []
    if analyte.plausible_low is not None:
        low = format_decimal(back(analyte.plausible_low))
        limits.append(
            _("from %(limit)s") % {"limit": low}
            if analyte.plausible_low_inclusive
            else _("above %(limit)s") % {"limit": low}
        )
    if analyte.plausible_high is not None:
        high = format_decimal(back(analyte.plausible_high))
        limits.append(
            _("up to %(limit)s") % {"limit": high}
            if analyte.plausible_high_inclusive
            else _("below %(limit)s") % {"limit": high}
        )
    return _(
        "%(value)s %(unit)s is not a plausible %(analyte)s value (expected %(limits)s %(unit)s). "
        "Check the decimal point and the unit; if the value is right, tick the confirmation "
        "and save again."
    ) % {
        "value": format_decimal(value),
        "unit": shown_unit,
        "analyte": analyte.display_name,
        "limits": _(" and ").join(limits),
    }


# The fields of a saved result that an amendment may change.
AMENDABLE_FIELDS = ("value", "collected_at", "last_dose_at", "comment")


@transaction.atomic
def amend_result(*, result: LabResult, user: User, reason: str, **changes) -> LabResult:
    """Correct a saved result. The old values stay in its history with `reason`."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this change.")})
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValueError(f"Cannot amend {', '.join(sorted(unknown))}")
    result = LabResult.objects.select_for_update().get(pk=result.pk)
    if result.is_entered_in_error:
        raise ValidationError(_("A result marked entered in error cannot be edited."))
    changed = {name: value for name, value in changes.items() if getattr(result, name) != value}
    if not changed:
        raise ValidationError(_("Nothing was changed."), code="unchanged")
    old_values = {name: getattr(result, name) for name in changed}
    for name, value in changed.items():
        setattr(result, name, value)
    if "value" in changed:
        # A correction is typed in the canonical unit: it is now the value as entered.
        result.value_as_entered = result.value
        result.unit_as_entered = result.unit
    duplicate = find_duplicate(
        patient=result.patient,
        analyte=result.analyte,
        collected_at=result.collected_at,
        exclude_pk=result.pk,
    )
    if duplicate:
        raise ValidationError(
            {"collected_at": _("Another result of this test is already recorded at this time.")}
        )
    result.full_clean()
    _audit(result, user=user, reason=reason)
    result.save()
    before = ", ".join(f"{name} was {_shown(value)}" for name, value in old_values.items())
    # The reopened alert says why in each reader's language; `before` and the reason are data.
    what = rules.Text(
        gettext_noop("its result was corrected (%(changes)s; %(reason)s)"),
        {"changes": before, "reason": reason},
    )
    reopen_if_evidence_changed(result=result, user=user, what=what)
    if {"value", "collected_at"} & changed.keys():
        _close_alerts_the_correction_cleared(result=result, user=user, reason=reason)
    evaluate_record(patient=result.patient, user=user)
    return result


def _close_alerts_the_correction_cleared(*, result: LabResult, user: User, reason: str) -> None:
    """The corrected value may no longer (or differently) be out of range: alerts it raised
    alone and that the new evaluation does not raise again are closed."""
    still_raised = {alert.pk for alert in evaluate_result(result=result, user=user)}
    _resolve_alerts_raised_only_by(
        result=result,
        user=user,
        resolution=f"Its result was corrected to {result.value_display}: {reason}",
        keep=still_raised,
    )


@transaction.atomic
def correct_lab_result(
    *,
    result: LabResult,
    value: Decimal,
    unit: AnalyteUnit | None,
    comparator: str,
    status: str,
    user: User,
    reason: str,
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    source_message: InboundMessage | None = None,
) -> LabResult:
    """A laboratory's new version of a result it sent: a correction (HL7 OBX-11 "C"), or the
    final value after a preliminary one. `value` (and the lab's range) is in `unit`, converted
    as record_result does; the status and comparator are the lab's. The old values stay in
    the history with `reason`; alerts are re-evaluated as amend_result does."""
    result = LabResult.objects.select_for_update().get(pk=result.pk)
    if result.is_entered_in_error:
        raise ValidationError(_("A result marked entered in error cannot be edited."))
    convert = unit.to_canonical if unit else (lambda v: v)
    canonical = convert(value)
    old_display = result.value_display
    value_changed = canonical != result.value or comparator != result.comparator
    result.value = canonical
    result.value_as_entered = value
    result.unit_as_entered = unit.code if unit else result.analyte.unit
    result.comparator = comparator
    result.status = status
    if reference_low is not None or reference_high is not None:
        result.reference_low = convert(reference_low) if reference_low is not None else None
        result.reference_high = convert(reference_high) if reference_high is not None else None
    if source_message is not None:
        result.source_message = source_message
    result.full_clean()
    _audit(result, user=user, reason=reason)
    result.save()
    if value_changed:
        what = rules.Text(
            gettext_noop("its result was corrected (%(changes)s; %(reason)s)"),
            {"changes": f"value was {old_display}", "reason": reason},
        )
        reopen_if_evidence_changed(result=result, user=user, what=what)
        _close_alerts_the_correction_cleared(result=result, user=user, reason=reason)
    evaluate_record(patient=result.patient, user=user)
    return result


@transaction.atomic
def mark_result_entered_in_error(*, result: LabResult, user: User, reason: str) -> LabResult:
    """Withdraw a wrong result: it leaves charts and rules and stays in its history.

    Open alerts raised by this result alone are resolved, since their only evidence is gone.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason the result is wrong.")})
    result = LabResult.objects.select_for_update().get(pk=result.pk)
    if result.is_entered_in_error:
        raise ValidationError(_("This result is already marked entered in error."))
    result.status = ResultStatus.ENTERED_IN_ERROR
    _audit(result, user=user, reason=f"Entered in error: {reason}")
    result.save()
    _resolve_alerts_raised_only_by(
        result=result, user=user, resolution=f"Its result was marked entered in error: {reason}"
    )
    evaluate_record(patient=result.patient, user=user)
    return result


@transaction.atomic
def set_trough_target(
    *,
    patient: Patient,
    low: Decimal,
    high: Decimal,
    starts_at: dt.datetime,
    reason: str,
    set_by: User,
) -> TroughTarget:
    """Give the patient a new trough target band from `starts_at` on (A1).

    Earlier targets are kept: they still apply to results sampled before `starts_at`.
    """
    target = TroughTarget(
        patient=patient,
        low=low,
        high=high,
        starts_at=starts_at,
        reason=reason.strip(),
        set_by=set_by,
    )
    target.full_clean()
    if low >= high:
        raise ValidationError({"high": _("The upper limit must be above the lower limit.")})
    _audit(target, user=set_by, reason=reason)
    target.save()
    evaluate_record(patient=patient, user=set_by)
    return target


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%d %b %Y %H:%M}"
    return str(value) if value not in (None, "") else "empty"


@transaction.atomic
def release_results(*, results: list[LabResult], user: User) -> int:
    """A clinician has reviewed these held results: the patient and family may now see them.
    Returns how many were released."""
    released = 0
    for result in LabResult.objects.select_for_update().filter(
        pk__in=[r.pk for r in results], reviewed_at__isnull=True
    ):
        result.reviewed_by = user
        result.reviewed_at = timezone.now()
        _audit(result, user=user, reason="Reviewed: released to the patient")
        result.save()
        released += 1
    return released
