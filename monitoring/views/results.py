"""Views of troughs, targets, alerts, the patient list and the portal chart."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from .. import charts, formulas, plain, services
from ..forms import (
    EnteredInErrorForm,
    PatientSearchForm,
    ResultAmendForm,
    TroughForm,
    TroughTargetForm,
    add_service_errors,
)
from ..models import (
    AccessAction,
    Alert,
    Analyte,
    LabResult,
    Patient,
    ResultStatus,
    Role,
    Severity,
    TroughTarget,
    format_decimal,
)
from ..rules import dosing as dosing_rules
from ..suggestion import PK_EFFECTS
from .access import (
    _get_patient_for_user,
    _get_result_for_user,
    _get_share_for_user,
    doctor_required,
    portal_required,
    role_required,
    staff_required,
)
from .record import ENTRY_KINDS
from .sharing import dose_report_context, reported_dose_initial

PAGE_SIZE = 50

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer: 200 when this server can reach its database, else 503 so that
    traffic goes to another app server. Says nothing about the data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database cannot be reached")
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its home: nurse → patients, doctor → worklist, patient → chart."""
    role = request.user.role
    if role == Role.NURSE:
        return redirect("monitoring:patient_list")
    if role == Role.DOCTOR:
        return redirect("monitoring:worklist")
    if role in (Role.PATIENT, Role.FAMILY):
        return redirect("monitoring:my_chart")
    if role == Role.ADMIN and request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied


# --- Staff: patients -------------------------------------------------------------------------


@staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    # A doctor's break-glass patients are listed too (read-only, logged when opened).
    patients = Patient.objects.visible_to(request.user, break_glass=True).select_related("clinic")
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        patients = patients.filter(
            Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(mrn__icontains=q)
        )
    # The pk makes pages stable when two patients share a name.
    patients = patients.order_by("last_name", "first_name", "pk")
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    # The latest trough and open alerts of the page's patients only, in the same query (the
    # page is a subquery): computed for the whole clinic they grew with it (issue #8).
    page.object_list = patients.filter(pk__in=page.object_list.values("pk")).with_latest_trough()
    return render(request, "monitoring/patient_list.html", {"form": form, "page": page})


def _trough_chart(
    patient: Patient, context=None, *, released_only: bool = False, record=None
) -> tuple[dict, list[dict]]:
    """The trough figure and the rows of its accessible table, from valid results only: the
    target band, the daily dose beneath, switches and interacting drugs as markers, and
    troughs that are not reliable C0 drawn hollow with the reason (issue #5). Pass the
    `record` the context was built from, so that targets and troughs are not read again."""
    if record is None:
        record = services.load_record(patient, chart_only=True)
    context = context or services.patient_context(patient, record=record)
    tz = timezone.get_current_timezone()
    targets = record.targets
    results = record.troughs
    if released_only:  # the portal shows held results only once reviewed (LabResult.released)
        results = [r for r in results if r.analyte.release_policy == "immediate" or r.reviewed_at]
    infos = {trough.pk: trough for trough in context.troughs}
    points, rows = [], []
    for result in results:
        target = patient.trough_target_at(result.collected_at, targets)
        info = infos.get(result.pk)
        caveat = dosing_rules.trough_caveat(context, info) if info else ""
        point = charts.TroughPoint(
            at=result.collected_at,
            value=result.value,
            unit=result.unit,
            low=target.low,
            high=target.high,
            caveat=caveat,
        )
        points.append(point)
        rows.append(
            {"result": result, "target": target, "position": point.position, "caveat": caveat}
        )
    default = TroughTarget.clinic_default(patient)
    bands = [charts.BandStep(default.starts_at, default.low, default.high)] + [
        charts.BandStep(t.starts_at, t.low, t.high) for t in targets
    ]
    figure = charts.trough_figure(
        points,
        bands,
        now=timezone.now(),
        tz=tz,
        doses=_dose_steps(context, tz),
        markers=_event_markers(context, tz),
    )
    rows.reverse()  # newest first in the table
    return figure, rows


def _midnight(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def _dose_steps(context, tz) -> list[charts.DoseStep]:
    steps = []
    for regimen in context.regimens:
        weight = context.weight_on(regimen.started_on) or (
            context.weights[0] if context.weights else None
        )
        per_kg = (
            formulas.mg_per_kg_day(daily_dose_mg=regimen.daily_dose_mg, weight_kg=weight.kg)
            if weight
            else None
        )
        steps.append(
            charts.DoseStep(
                _midnight(regimen.started_on, tz), regimen.daily_dose_mg, per_kg, regimen.product
            )
        )
    last = context.regimens[-1] if context.regimens else None
    if last and last.ended_on:
        steps.append(charts.DoseStep(_midnight(last.ended_on, tz), Decimal(0), None, _("stopped")))
    return steps


def _event_markers(context, tz) -> list[charts.EventMarker]:
    """Formulation switches and interacting drugs started or stopped (PK effects, A5)."""
    markers = [
        charts.EventMarker(
            _midnight(r.started_on, tz), _("Switch to %(product)s") % {"product": r.product}
        )
        for r in context.regimens
        if r.is_formulation_switch
    ]
    for medication in context.medications:
        if not any(i.effect in PK_EFFECTS for i in medication.interactions):
            continue
        markers.append(
            charts.EventMarker(
                _midnight(medication.started_on, tz),
                _("%(medicine)s started") % {"medicine": medication.name},
            )
        )
        if medication.stopped_on:
            markers.append(
                charts.EventMarker(
                    _midnight(medication.stopped_on, tz),
                    _("%(medicine)s stopped") % {"medicine": medication.name},
                )
            )
    return markers


@staff_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id, break_glass=True)
    # The record is read once: the rules' context, the chart and the summary share it.
    record = services.load_record(patient)
    context = services.patient_context(patient, record=record)
    figure, rows = _trough_chart(patient, context, record=record)
    now = timezone.now()
    open_alerts = list(patient.alerts.open().order_by("-severity", "first_raised_at"))
    context = {
        "patient": patient,
        "figure": figure,
        "rows": rows,
        "target": patient.trough_target_at(now, record.targets),
        "targets": record.targets[::-1],  # newest first
        "default_target": TroughTarget.clinic_default(patient),
        "open_alerts": open_alerts,
        # Info alerts stay off the worklist (A6): on the patient page they fold away.
        "info_alerts": [a for a in open_alerts if a.severity < Severity.WARNING],
        "suppressions": patient.suppressions.active().select_related("created_by"),
        "past_alerts": patient.alerts.exclude(status=Alert.Status.OPEN)
        .select_related("acknowledged_by")
        .order_by("-last_raised_at")[:50],
        "withdrawn": LabResult.objects.for_patient(patient)
        .filter(status="entered-in-error")
        .select_related("analyte"),
        "age": patient.age_on(timezone.localdate()),
        **_record_summary(patient, context, record),
        **dose_report_context(patient),
    }
    return render(request, "monitoring/patient_detail.html", context)


# Symptoms from this far back show on the patient page (recent enough to relate to a level).
RECENT_SYMPTOM_DAYS = 90


def _record_summary(patient: Patient, context, record) -> dict:
    """Everything the staff patient page shows besides troughs and alerts, from the record
    already read for the rules: no query of its own but the latest results and the rule
    settings of the dose suggestion."""
    today = timezone.localdate()
    weights = record.weights  # newest first
    regimen_rows = []
    for regimen in record.regimens:
        # The weight in force when the regimen started (or the earliest one after it).
        weight = next((w for w in weights if w.measured_on <= regimen.started_on), None)
        weight = weight or (weights[-1] if weights else None)
        dose = regimen.mg_per_kg_day(weight)
        regimen_rows.append(
            {
                "regimen": regimen,
                "weight": weight,
                "mg_per_kg_day": dose,
                "dose_in_range": dose is None or formulas.dose_in_range(dose),
            }
        )
    current = next(
        (
            row
            for row in regimen_rows
            if row["regimen"].started_on <= today
            and (row["regimen"].ended_on is None or row["regimen"].ended_on > today)
        ),
        None,
    )
    latest_weight = weights[0] if weights else None
    if current and latest_weight:
        # The current dose is judged against the latest weight, flagged when stale (A2).
        current = {
            **current,
            "weight": latest_weight,
            "mg_per_kg_day": current["regimen"].mg_per_kg_day(latest_weight),
        }
        current["dose_in_range"] = formulas.dose_in_range(current["mg_per_kg_day"])
    recent = today - dt.timedelta(days=RECENT_SYMPTOM_DAYS)
    return {
        "latest_results": LabResult.objects.for_patient(patient)
        .latest_per_analyte()
        .select_related("analyte", "patient", "derived_from")
        .order_by("analyte__sort_order"),
        "current_regimen": current,
        "regimen_rows": regimen_rows,
        "latest_weight": latest_weight,
        "weight_is_stale": bool(latest_weight and latest_weight.is_stale(today)),
        "dose_range": formulas.DOSE_RANGE_MG_PER_KG_DAY,
        "medications": [
            m for m in record.medications if m.stopped_on is None or m.stopped_on > today
        ],
        "allergies": record.allergies,
        "reproductive": [
            s for s in record.reproductive if s.ended_on is None or s.ended_on >= today
        ],
        "vaccinations": record.vaccinations[:10],
        "latest_ecg": record.ecgs[0] if record.ecgs else None,
        "symptoms": [s for s in record.symptoms if s.started_on >= recent],
        "entry_kinds": [(kind, entry.title) for kind, entry in ENTRY_KINDS.items()],
        "dues": context.dues,
        "suggestion": services.dose_suggestion(patient, context=context),
        "today": today,
    }


@staff_required
def record_trough(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    analyte = get_object_or_404(Analyte, code=Analyte.TACROLIMUS)
    reported = dose_report_context(patient)
    form = TroughForm(
        request.POST or None,
        patient=patient,
        analyte=analyte,
        initial=reported_dose_initial(request, reported["dose_report"]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            result, alerts = services.record_result(
                patient=patient,
                analyte=analyte,
                value=form.cleaned_data["value"],
                collected_at=form.cleaned_data["collected_at"],
                last_dose_at=form.cleaned_data["last_dose_at"],
                comment=form.cleaned_data["comment"],
                confirmed_implausible=form.cleaned_data["confirm"],
                entered_by=request.user,
            )
        except ValidationError as error:
            if isinstance(error, services.ImplausibleValueError):
                form.ask_confirmation()
            add_service_errors(form, error)
        else:
            target = patient.trough_target_at(result.collected_at)
            if alerts:
                for alert in alerts:
                    messages.warning(
                        request,
                        _("Saved %(value)s. Alert: %(alert)s")
                        % {"value": result.value_display, "alert": alert.text},
                    )
            else:
                messages.success(
                    request,
                    _("Saved %(value)s: within the target %(target)s.")
                    % {"value": result.value_display, "target": target},
                )
            return redirect(patient)
    context = {
        "patient": patient,
        "form": form,
        "target": patient.trough_target_at(timezone.now()),
        **reported,
    }
    return render(request, "monitoring/record_trough.html", context)


@staff_required
def result_edit(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _get_result_for_user(request.user, result_id)
    if result.is_entered_in_error:
        messages.error(request, _("A result marked entered in error cannot be edited."))
        return redirect("monitoring:result_history", result_id=result.pk)
    form = ResultAmendForm(request.POST or None, result=result)
    if request.method == "POST" and form.is_valid():
        try:
            services.amend_result(
                result=result,
                user=request.user,
                reason=form.cleaned_data["reason"],
                **form.changes(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Result corrected. The previous value stays in its history.")
            )
            return redirect(result.patient)
    return render(request, "monitoring/result_edit.html", {"result": result, "form": form})


@staff_required
def result_entered_in_error(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _get_result_for_user(request.user, result_id)
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_result_entered_in_error(
                result=result, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(value)s of %(date)s is marked entered in error. It no longer counts in "
                    "charts and alerts."
                )
                % {
                    "value": result.value_display,
                    "date": date_format(timezone.localtime(result.collected_at), "d M Y"),
                },
            )
            return redirect(result.patient)
    return render(
        request, "monitoring/result_entered_in_error.html", {"result": result, "form": form}
    )


def _history_value(field: str, value) -> str:
    """A history value as people read it: 7.1 not 7.1000, local time, status labels."""
    if value is None or value == "":
        return "—"
    if field == "status":
        return ResultStatus(value).label
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "d M Y H:i")
    return str(value)


# The result history names each changed field; spelled out so that the names translate.
HISTORY_FIELD_NAMES = {
    "value": gettext_lazy("value"),
    "unit": gettext_lazy("unit"),
    "value_as_entered": gettext_lazy("value as entered"),
    "unit_as_entered": gettext_lazy("unit as entered"),
    "collected_at": gettext_lazy("sample time"),
    "last_dose_at": gettext_lazy("time of last dose"),
    "comment": gettext_lazy("comment"),
    "status": gettext_lazy("status"),
}


@staff_required
def result_history(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _get_result_for_user(request.user, result_id, break_glass=True)
    records = list(result.history.select_related("history_user").order_by("history_date"))
    rows = []
    previous = None
    for record in records:
        changes = []
        if previous is not None:
            changes = [
                {
                    "field": HISTORY_FIELD_NAMES.get(
                        c.field, LabResult._meta.get_field(c.field).verbose_name
                    ),
                    "old": _history_value(c.field, c.old),
                    "new": _history_value(c.field, c.new),
                }
                for c in record.diff_against(previous).changes
            ]
        rows.append({"record": record, "changes": changes})
        previous = record
    rows.reverse()
    return render(request, "monitoring/result_history.html", {"result": result, "rows": rows})


@doctor_required
def trough_target_set(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    form = TroughTargetForm(
        request.POST or None,
        initial={"starts_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            target = services.set_trough_target(
                patient=patient,
                low=form.cleaned_data["low"],
                high=form.cleaned_data["high"],
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                set_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            starts = date_format(timezone.localtime(target.starts_at), "d M Y H:i")
            messages.success(
                request,
                _("Target set to %(target)s from %(starts)s.")
                % {"target": target, "starts": starts},
            )
            return redirect(patient)
    context = {
        "patient": patient,
        "form": form,
        "target": patient.trough_target_at(timezone.now()),
    }
    return render(request, "monitoring/trough_target_set.html", context)


# --- Patients and family ---------------------------------------------------------------------


@portal_required
def my_chart(request: HttpRequest) -> HttpResponse:
    """A patient's own chart; a family member's list of the people who shared with them."""
    patients = list(Patient.objects.visible_to(request.user))
    if len(patients) == 1:
        return redirect("monitoring:patient_chart", patient_id=patients[0].pk)
    return render(request, "monitoring/my_chart.html", {"patients": patients})


@portal_required
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's (or a family member's) home: the latest level in words, the chart, what
    each test is for, what is due and how to prepare, the current dose and medicines."""
    patient = _get_patient_for_user(
        request.user, patient_id, what="patient_chart", action=AccessAction.VIEW_CHART
    )
    # What the chart and the schedule need, read once and shared (issue #8).
    record = services.load_record(patient, chart_only=True)
    context = services.patient_context(patient, record=record)
    figure, rows = _trough_chart(patient, context, released_only=True, record=record)
    today = timezone.localdate()
    latest_results = (
        LabResult.objects.for_patient(patient)
        .latest_per_analyte(released_only=True)
        .exclude(analyte__code=Analyte.TACROLIMUS)
        .select_related("analyte", "patient")
        .order_by("analyte__sort_order")
    )
    # The regimen in force today: the newest started of the current ones (Regimen ordering).
    regimen = next(
        (
            r
            for r in record.regimens
            if r.started_on <= today and (r.ended_on is None or r.ended_on > today)
        ),
        None,
    )
    page = {
        "patient": patient,
        "figure": figure,
        "rows": rows,
        "latest": rows[0] if rows else None,
        "target": patient.trough_target_at(timezone.now(), record.targets),
        "is_own": patient.user_id == request.user.pk,
        "results": [
            {"result": r, "what_for": plain.WHAT_FOR.get(r.analyte.code, "")}
            for r in latest_results
        ],
        "dues": [{"due": due, "prepare": plain.PREPARE.get(due.test, "")} for due in context.dues],
        "today": today,
        "regimen": regimen,
        "medications": [m for m in record.medications if m.is_current(today)],
        **dose_report_context(patient, with_form=patient.user_id == request.user.pk),
    }
    return render(request, "monitoring/patient_chart.html", page)


@role_required(Role.PATIENT)
@require_POST
def share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    share = _get_share_for_user(request.user, share_id)
    services.revoke_share(share=share, user=request.user)
    messages.success(
        request,
        _("%(name)s can no longer see your results.") % {"name": share.grantee.display_name},
    )
    return redirect("monitoring:sharing")
