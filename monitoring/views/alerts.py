"""The doctor's alert views: the worklist, reviewing and acknowledging an alert, silencing a
rule for a patient, and the clinic dashboard."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..context_processors import open_alert_counts
from ..exports import csv_response
from ..forms import (
    AcknowledgeForm,
    BulkAcknowledgeForm,
    SuppressForm,
    WorklistFilterForm,
    add_service_errors,
)
from ..models import AccessAction, AccessEvent, Alert, Analyte, RuleSuppression, Severity
from ..rules import REGISTRY
from ..templatetags.monitoring_tags import SEVERITY_BADGES, rule_name
from .access import _get_alert_for_user, doctor_required

PAGE_SIZE = 50
# Alerts fetched per round trip while a download streams.
EXPORT_CHUNK_SIZE = 2000

# The dashboard's window: long enough for a median per rule, short enough to stay current
# (and to bound the rows read into Python).
DASHBOARD_DAYS = 180


def _worklist_url(filters: str = "") -> str:
    """The worklist with the filters it was left with (a query string, re-encoded so that
    only parameters, never another address, come back)."""
    query = QueryDict(filters).urlencode()
    return reverse("monitoring:worklist") + (f"?{query}" if query else "")


def _back_url(request: HttpRequest, alert: Alert) -> str:
    if request.POST.get("next") == "patient":
        return reverse("monitoring:patient_detail", args=[alert.patient_id])
    return _worklist_url(request.POST.get("filters", ""))


def _error_text(form: Form) -> str:
    return " ".join(message for errors in form.errors.values() for message in errors)


def _worklist_alerts(user, filters: dict):
    """The alerts the worklist shows for these filters (WorklistFilterForm.filters()): the
    page and its CSV download list the same alerts."""
    alerts = Alert.objects.visible_to(user).for_review(
        status=filters["status"], min_severity=filters["severity"]
    )
    if filters["rule"]:
        alerts = alerts.filter(rule_code=filters["rule"])
    if filters["clinic"]:
        alerts = alerts.filter(patient__clinic=filters["clinic"])
    # "alice dur" finds Alice Durand: every word must match a name or the MRN.
    for word in filters["patient"].split():
        alerts = alerts.filter(
            Q(patient__first_name__icontains=word)
            | Q(patient__last_name__icontains=word)
            | Q(patient__mrn__icontains=word)
        )
    return alerts


@doctor_required
def worklist(request: HttpRequest) -> HttpResponse:
    form = WorklistFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    alerts = _worklist_alerts(request.user, filters)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    is_open = filters["status"] == Alert.Status.OPEN
    context = {
        "page": page,
        "form": form,
        "status": Alert.Status(filters["status"]),
        "is_open": is_open,
        "has_info": is_open and any(alert.severity == Severity.INFO for alert in page),
        "info_severity": Severity.INFO,
        "filters": request.GET.urlencode(),
    }
    return render(request, "monitoring/worklist.html", context)


# The filters the download passes on from the worklist: nothing else of the query string.
WORKLIST_FILTERS = ("severity", "rule", "clinic", "status", "patient")


@doctor_required
def worklist_alerts_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The worklist's alerts (same filters, all pages) as CSV, texts in the viewer's language."""
    query = QueryDict(mutable=True)
    for name in WORKLIST_FILTERS:
        if name in request.GET:
            query[name] = request.GET[name]
    form = WorklistFilterForm(query or None, user=request.user)
    alerts = _worklist_alerts(request.user, form.filters())
    header = [
        _("raised at"),
        _("severity"),
        _("MRN"),
        _("patient"),
        _("rule"),
        _("alert"),
        _("status"),
        _("acknowledged by"),
        _("acknowledged at"),
        _("comment"),
    ]
    rows = (
        [
            alert.first_raised_at,
            alert.get_severity_display(),
            alert.patient.mrn,
            alert.patient.full_name,
            alert.rule_code,
            alert.text,
            alert.get_status_display(),
            alert.acknowledged_by.display_name if alert.acknowledged_by else "",
            alert.acknowledged_at,
            alert.acknowledgement_comment,
        ]
        for alert in alerts.iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    return csv_response("alerts", header, rows)


def _alert_page(
    request: HttpRequest,
    alert: Alert,
    *,
    form: AcknowledgeForm | None = None,
    suppress_form: SuppressForm | None = None,
) -> HttpResponse:
    context = {
        "alert": alert,
        "patient": alert.patient,
        "rule_name": rule_name(alert.rule_code),
        "form": form or AcknowledgeForm(),
        "suppress_form": suppress_form or SuppressForm(),
        "can_suppress": alert.rule_code in REGISTRY,
        "suppressions": RuleSuppression.objects.active()
        .filter(patient=alert.patient, rule_code=alert.rule_code)
        .select_related("created_by"),
        # On a trough alert the doctor decides with the dose suggestion in view (A2).
        "suggestion": services.dose_suggestion(alert.patient)
        if alert.subject == Analyte.TACROLIMUS
        else None,
    }
    return render(request, "monitoring/alert_acknowledge.html", context)


@doctor_required
@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The alert in full with the decision form; the quick "no change" forms of the worklist
    and the patient page post here too (with `next`) and go back there, error or not."""
    # A POST here is an acknowledgement (logged as one, whether or not the form is valid).
    action = AccessAction.ACKNOWLEDGE if request.method == "POST" else AccessAction.VIEW_RECORD
    alert = _get_alert_for_user(request.user, alert_id, action=action)
    if request.method == "GET":
        return _alert_page(request, alert)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge_alert(
                alert=alert,
                user=request.user,
                comment=form.cleaned_data["comment"],
                decision=form.cleaned_data["decision"],
                repeat_due_on=form.cleaned_data["repeat_due_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Acknowledged for %(name)s: %(alert)s")
                % {"name": alert.patient.full_name, "alert": alert.text},
            )
            return redirect(_back_url(request, alert))
    if request.POST.get("next") in ("worklist", "patient"):
        messages.error(
            request,
            _("Not acknowledged for %(name)s: %(errors)s")
            % {"name": alert.patient.full_name, "errors": _error_text(form)},
        )
        return redirect(_back_url(request, alert))
    return _alert_page(request, alert, form=form)


@doctor_required
@require_POST
def alert_suppress(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert_for_user(request.user, alert_id)
    form = SuppressForm(request.POST)
    if form.is_valid():
        until = timezone.now() + dt.timedelta(days=form.cleaned_data["days"])
        try:
            services.suppress_rule(
                patient=alert.patient,
                rule_code=alert.rule_code,
                until=until,
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            message = _("“%(rule)s” is silenced for %(name)s until %(until)s.") % {
                "rule": rule_name(alert.rule_code),
                "name": alert.patient.full_name,
                "until": date_format(timezone.localtime(until), "d M Y H:i"),
            }
            if alert.is_open:
                message += " " + _("This alert stays open: acknowledge it with your decision.")
            messages.success(request, message)
            return redirect("monitoring:alert_acknowledge", alert_id=alert.pk)
    return _alert_page(request, alert, suppress_form=form)


@doctor_required
@require_POST
def alert_bulk_acknowledge(request: HttpRequest) -> HttpResponse:
    """Info alerts ticked on the worklist, acknowledged together with one comment: all or
    none (a ticked alert that is not info refuses the lot)."""
    form = BulkAcknowledgeForm(request.POST, user=request.user)
    back = _worklist_url(request.POST.get("filters", ""))
    if not form.is_valid():
        messages.error(
            request, _("Nothing acknowledged: %(errors)s") % {"errors": _error_text(form)}
        )
        return redirect(back)
    alerts = form.cleaned_data["alerts"]
    try:
        with transaction.atomic():
            for alert in alerts:
                done = services.acknowledge_alert(
                    alert=alert, user=request.user, comment=form.cleaned_data["comment"]
                )
                if done.severity != Severity.INFO:  # escalated since the page was shown
                    raise ValidationError(
                        _("An alert of %(name)s is no longer info.")
                        % {"name": alert.patient.full_name}
                    )
            # One access event per alert, in one INSERT.
            AccessEvent.objects.bulk_create(
                services.access_event(
                    request=request,
                    action=AccessAction.ACKNOWLEDGE,
                    patient=alert.patient_id,
                    obj=alert,
                )
                for alert in alerts
            )
    except ValidationError as error:
        messages.error(
            request, _("Nothing acknowledged: %(errors)s") % {"errors": " ".join(error.messages)}
        )
    else:
        messages.success(
            request,
            ngettext(
                "Acknowledged %(count)s info alert.",
                "Acknowledged %(count)s info alerts.",
                len(alerts),
            )
            % {"count": len(alerts)},
        )
    return redirect(back)


def _time_to_acknowledge(waits: dict, labels: dict) -> list[dict]:
    """Count and median wait per group, by label."""
    rows = [
        {"label": labels[key], "count": len(group), "median": statistics.median(group)}
        for key, group in waits.items()
    ]
    return sorted(rows, key=lambda row: row["label"].lower())


@doctor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """How quickly the doctor's clinics acknowledge alerts (median time from first raised to
    acknowledged, per doctor and per rule), and what is open now."""
    since = timezone.now() - dt.timedelta(days=DASHBOARD_DAYS)
    acknowledged = (
        Alert.objects.visible_to(request.user)
        .filter(acknowledged_at__gte=since, acknowledged_by__isnull=False)
        .select_related("acknowledged_by")
        .only(
            "rule_code",
            "first_raised_at",
            "acknowledged_at",
            "acknowledged_by__username",
            "acknowledged_by__first_name",
            "acknowledged_by__last_name",
        )
    )
    by_doctor: dict[int, list[dt.timedelta]] = defaultdict(list)
    by_rule: dict[str, list[dt.timedelta]] = defaultdict(list)
    doctors: dict[int, str] = {}
    for alert in acknowledged:
        wait = alert.acknowledged_at - alert.first_raised_at
        by_doctor[alert.acknowledged_by_id].append(wait)
        doctors[alert.acknowledged_by_id] = alert.acknowledged_by.display_name
        by_rule[alert.rule_code].append(wait)
    counts = open_alert_counts(request.user)
    context = {
        "days": DASHBOARD_DAYS,
        "by_doctor": _time_to_acknowledge(by_doctor, doctors),
        "by_rule": _time_to_acknowledge(by_rule, {code: rule_name(code) for code in by_rule}),
        "open_counts": [
            {"severity": severity, "count": counts[severity], "css": css}
            for severity, css in SEVERITY_BADGES.items()
        ],
    }
    return render(request, "monitoring/dashboard.html", context)
