"""The unmatched-results queue (issue #6): lab results a message sent that could not be
stored, and what a nurse does with each: import it for a patient, create the patient from
the lab's data, or dismiss it with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Func, Q, Value
from django.db.models.functions import Replace, Upper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..forms import UnmatchedDismissForm, UnmatchedImportForm, add_service_errors
from ..imports.codes import AnalyteIndex, find_unit, parse_lab_value
from ..models import Analyte, AnalyteUnit, Patient, UnmatchedResult, User
from .access import _get_unmatched_for_user, staff_required

PAGE_SIZE = 50
# How many candidate patients the detail page lists at most.
MAX_CANDIDATES = 20


@staff_required
def unmatched_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    if status not in UnmatchedResult.Status.values:  # allow-list, never the raw parameter
        status = UnmatchedResult.Status.PENDING
    visible = UnmatchedResult.objects.visible_to(request.user)
    counts = visible.aggregate(
        **{s: Count("pk", filter=Q(status=s)) for s in UnmatchedResult.Status.values}
    )
    items = visible.filter(status=status).select_related("message", "resolved_by", "patient")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = [
        {"value": s.value, "label": s.label, "count": counts[s.value], "active": s == status}
        for s in UnmatchedResult.Status
    ]
    context = {"page": page, "status": status, "filters": filters, "count": counts[status]}
    return render(request, "monitoring/unmatched_list.html", context)


class _LTrimZeros(Func):
    # LTRIM(text, '0') strips leading zeros on SQLite and PostgreSQL alike.
    function = "LTRIM"
    template = "%(function)s(%(expressions)s, '0')"


def _candidates(item: UnmatchedResult, user: User) -> list[dict]:
    """Patients of the item's clinic who may be the person the lab meant: the same MRN
    (ignoring case, spaces and leading zeros), or the same date of birth and family name."""
    key = services.normalise_mrn(item.mrn)
    family = item.family_name.strip()
    match = Q(pk__in=[])
    if key:
        match |= Q(mrn_key=key)
    if item.date_of_birth and family:
        match |= Q(date_of_birth=item.date_of_birth, last_name__iexact=family)
    patients = (
        Patient.objects.visible_to(user)
        .filter(clinic=item.clinic_id)
        .annotate(mrn_key=_LTrimZeros(Replace(Upper("mrn"), Value(" "), Value(""))))
        .filter(match)[:MAX_CANDIDATES]
    )
    candidates = []
    for patient in patients:
        reasons = []
        if key and services.normalise_mrn(patient.mrn) == key:
            reasons.append(_("same MRN"))
        if (
            item.date_of_birth == patient.date_of_birth
            and family.casefold() == patient.last_name.casefold()
        ):
            reasons.append(_("same date of birth and family name"))
        candidates.append({"patient": patient, "reasons": reasons})
    return candidates


def _is_implausible(item: UnmatchedResult, analyte: Analyte | None, unit: AnalyteUnit | None):
    """Whether the value as sent is outside the test's plausibility range (so the page asks
    for a confirmation at once, rather than after a refusal)."""
    if analyte is None or unit is None:
        return False
    try:
        _comparator, value = parse_lab_value(item.value)
    except ValidationError:
        return False
    return not analyte.is_plausible(unit.to_canonical(value))


def _stored_message(imported: services.ImportedItem) -> str:
    result = imported.result
    return _("%(test)s %(value)s stored for %(name)s") % {
        "test": result.analyte.display_name,
        "value": result.value_display,
        "name": result.patient.full_name,
    }


@staff_required
def unmatched_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _get_unmatched_for_user(request.user, item_id)
    is_pending = item.status == UnmatchedResult.Status.PENDING
    analyte = AnalyteIndex().find(item.code, item.code_system)
    unit = find_unit(analyte, item.unit) if analyte else None
    others = services.other_pending_for_mrn(item).count() if is_pending else 0
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not is_pending:
        # Someone else handled it meanwhile (or the page was old): say so, change nothing.
        messages.error(
            request,
            _("This lab result was already handled (%(status)s); nothing was stored.")
            % {"status": item.get_status_display().lower()},
        )
        return redirect("monitoring:unmatched_detail", item_id=item.pk)
    form = UnmatchedImportForm(
        request.POST if action in ("import", "create") else None,
        item=item,
        user=request.user,
        analyte=analyte,
        needs_unit=unit is None,
        needs_confirmation=_is_implausible(item, analyte, unit),
        others=others,
        initial=_initial_patient(item, request.user),
    )
    dismiss_form = UnmatchedDismissForm(request.POST if action == "dismiss" else None)
    if action == "dismiss" and dismiss_form.is_valid():
        try:
            services.dismiss_unmatched_result(
                item=item, user=request.user, reason=dismiss_form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(dismiss_form, error)
        else:
            messages.success(
                request, _("The lab result was dismissed. It stays listed under “Dismissed”.")
            )
            return redirect("monitoring:unmatched_list")
    if action in ("import", "create") and form.is_valid():
        try:
            imported = _import(item, form, request.user, creates=action == "create")
        except ValidationError as error:
            if isinstance(error, services.ImplausibleValueError):
                form.ask_confirmation()
            add_service_errors(form, error)
        else:
            for done in imported:
                messages.success(request, _stored_message(done))
                for alert in done.alerts:
                    messages.warning(request, _("Alert: %(alert)s") % {"alert": alert.text})
                if done.mapping:
                    messages.info(
                        request,
                        _("The code %(code)s will be read as %(test)s from now on.")
                        % {"code": done.mapping.code, "test": done.mapping.analyte.display_name},
                    )
            return redirect("monitoring:unmatched_list")
    context = {
        "item": item,
        "is_pending": is_pending,
        "raw": item.message.raw.replace("\r\n", "\n").replace("\r", "\n"),
        "analyte": analyte,
        "unit": unit,
        "candidates": _candidates(item, request.user) if is_pending else [],
        "others": others,
        "form": form,
        "dismiss_form": dismiss_form,
    }
    return render(request, "monitoring/unmatched_detail.html", context)


def _initial_patient(item: UnmatchedResult, user: User) -> dict:
    """The patient with exactly the MRN the lab sent is chosen in advance, if any."""
    if not item.mrn.strip():
        return {}
    patient = (
        Patient.objects.visible_to(user).filter(clinic=item.clinic_id, mrn=item.mrn.strip()).first()
    )
    return {"patient": patient} if patient else {}


def _import(
    item: UnmatchedResult, form: UnmatchedImportForm, user: User, *, creates: bool
) -> list[services.ImportedItem]:
    """Create the patient first if asked, then import: one transaction, so a refused value
    leaves no patient behind."""
    choices = form.choices()
    with transaction.atomic():
        if creates:
            patient = services.create_patient_from_unmatched(item=item, user=user)
        else:
            patient = form.cleaned_data["patient"]
        if form.cleaned_data.get("with_same_mrn"):
            return services.import_unmatched_results_for_mrn(
                item=item, patient=patient, user=user, **choices
            )
        return [services.import_unmatched_result(item=item, patient=patient, user=user, **choices)]
