"""The access log of a patient for the clinic administrator, and break-glass access for a
doctor outside the patient's clinic (issue #7)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import services
from ..forms import BreakGlassForm, add_service_errors
from ..models import AccessAction, AccessEvent, Role
from .access import _get_patient_for_user, doctor_required, role_required

PAGE_SIZE = 50


# ASVS V7/V8: the access log is read by the clinic administrator only (not by doctors, who
# could otherwise watch their colleagues); the administrator sees their clinics' patients.
@role_required(Role.ADMIN)
def patient_access_log(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Who looked at this record, and when: newest first, with the break-glass grants."""
    patient = _get_patient_for_user(request.user, patient_id, what="access log")
    events = AccessEvent.objects.filter(patient=patient).select_related(
        "user", "share__grantee", "break_glass"
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    grants = patient.break_glass_grants.select_related("doctor").order_by("-granted_at")
    context = {"patient": patient, "page": page, "grants": grants, "now": timezone.now()}
    return render(request, "monitoring/patient_access_log.html", context)


@doctor_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency read access to a patient of another clinic: exact clinic code and MRN (no
    search, no list), a reason, four hours, logged and reviewed."""
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.grant_break_glass(
                doctor=request.user,
                clinic_code=form.cleaned_data["clinic_code"],
                mrn=form.cleaned_data["mrn"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            # A refused attempt is logged too: repeated guesses of MRNs show in the log.
            services.record_access(request=request, action=AccessAction.DENIED, what="break glass")
            add_service_errors(form, error)
        else:
            messages.warning(
                request,
                _("Emergency access, read-only, until %(until)s. It is logged.")
                % {"until": date_format(timezone.localtime(grant.expires_at), "d M Y H:i")},
            )
            return redirect(grant.patient)
    return render(request, "monitoring/break_glass.html", {"form": form})
