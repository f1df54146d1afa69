"""Views of the clinical record: the blood-draw panel, and one entry form per record item
(regimen, weight, ECG, medicine, allergy, vaccination, pregnancy, symptom)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from .. import services
from ..forms import (
    AllergyForm,
    EcgForm,
    EnteredInErrorForm,
    MedicationForm,
    PanelForm,
    RegimenForm,
    ReproductiveStatusForm,
    SymptomForm,
    VaccinationForm,
    WeightForm,
    add_service_errors,
)
from ..models import (
    Alert,
    Allergy,
    Analyte,
    Ecg,
    LabResult,
    Medication,
    Patient,
    Regimen,
    ReproductiveStatus,
    Role,
    Symptom,
    Vaccination,
    Weight,
)
from .access import _get_patient_for_user, role_required, staff_required
from .sharing import dose_report_context, reported_dose_initial


@dataclass(frozen=True)
class EntryKind:
    """One kind of record entry: its form, the service that saves it, and its model."""

    title: str
    form: type
    save: Callable
    model: type[models.Model]


ENTRY_KINDS: dict[str, EntryKind] = {
    "regimen": EntryKind(
        gettext_lazy("Tacrolimus regimen"), RegimenForm, services.start_regimen, Regimen
    ),
    "weight": EntryKind(gettext_lazy("Weight"), WeightForm, services.record_weight, Weight),
    "ecg": EntryKind(gettext_lazy("ECG"), EcgForm, services.record_ecg, Ecg),
    "medication": EntryKind(
        gettext_lazy("Medicine"), MedicationForm, services.record_medication, Medication
    ),
    "allergy": EntryKind(gettext_lazy("Allergy"), AllergyForm, services.record_allergy, Allergy),
    "vaccination": EntryKind(
        gettext_lazy("Vaccination"), VaccinationForm, services.record_vaccination, Vaccination
    ),
    "pregnancy": EntryKind(
        gettext_lazy("Pregnancy or breastfeeding"),
        ReproductiveStatusForm,
        services.record_reproductive_status,
        ReproductiveStatus,
    ),
    "symptom": EntryKind(gettext_lazy("Symptom"), SymptomForm, services.record_symptom, Symptom),
}


def _get_kind(kind: str) -> EntryKind:
    if kind not in ENTRY_KINDS:
        raise Http404
    return ENTRY_KINDS[kind]


def _analytes():
    return Analyte.objects.prefetch_related("units").order_by("sort_order", "name")


@staff_required
def record_draw(request: HttpRequest) -> HttpResponse:
    """One form per blood draw: the patient, the draw time, any subset of the panel."""
    # Break-glass access is read-only: those patients are not offered here.
    patients = Patient.objects.visible_to(request.user, break_glass=False).order_by(
        "last_name", "first_name"
    )
    analytes = list(_analytes())
    initial = {"collected_at": timezone.localtime().replace(second=0, microsecond=0)}
    chosen = patients.filter(pk=request.GET.get("patient") or 0).first()
    reported = dose_report_context(chosen) if chosen else {}
    if chosen:
        initial["patient"] = chosen.pk
        initial.update(reported_dose_initial(request, reported["dose_report"]))
    clinic = chosen.clinic if chosen else request.user.clinics.first()
    form = PanelForm(
        request.POST or None,
        initial=initial,
        patients=patients,
        analytes=analytes,
        unit_system=clinic.unit_system if clinic else "SI",
    )
    if request.method == "POST" and form.is_valid():
        patient = form.cleaned_data["patient"]
        try:
            results, alerts = services.record_panel(
                patient=patient,
                collected_at=form.cleaned_data["collected_at"],
                last_dose_at=form.cleaned_data["last_dose_at"],
                values=form.values(),
                comment=form.cleaned_data["comment"],
                entered_by=request.user,
            )
        except services.PanelError as error:
            form.add_panel_errors(error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Saved %(count)s result for %(name)s.",
                    "Saved %(count)s results for %(name)s.",
                    len(results),
                )
                % {"count": len(results), "name": patient.full_name},
            )
            stamp = int(form.cleaned_data["collected_at"].timestamp())
            return redirect("monitoring:draw_detail", patient_id=patient.pk, at=stamp)
    return render(
        request, "monitoring/record_draw.html", {"form": form, "patient": chosen, **reported}
    )


@staff_required
def draw_detail(request: HttpRequest, patient_id: int, at: int) -> HttpResponse:
    """The results of one draw with their flags, and the alerts they raised."""
    patient = _get_patient_for_user(request.user, patient_id, what="draw", break_glass=True)
    collected_at = dt.datetime.fromtimestamp(at, tz=dt.UTC)
    results = list(
        LabResult.objects.valid()
        .for_patient(patient)
        .filter(collected_at=collected_at)
        .select_related("analyte", "patient", "derived_from")
        .order_by("analyte__sort_order")
    )
    if not results:
        raise Http404
    alerts = Alert.objects.filter(result__in=results).order_by("-severity")
    target = patient.trough_target_at(collected_at)
    for result in results:
        # A trough has no reference range: it is judged against the target in force (A1).
        if result.analyte.code == Analyte.TACROLIMUS:
            position = (
                "below"
                if result.value < target.low
                else ("above" if result.value > target.high else "in")
            )
            result.shown_flag = f"target-{position}"
        else:
            result.shown_flag = result.flag
    context = {
        "patient": patient,
        "results": results,
        "alerts": alerts,
        "collected_at": collected_at,
        "held": [
            r
            for r in results
            if r.analyte.release_policy == "after-review" and r.reviewed_at is None
        ],
        "at": at,
    }
    return render(request, "monitoring/draw_detail.html", context)


@staff_required
@require_POST
def draw_release(request: HttpRequest, patient_id: int, at: int) -> HttpResponse:
    """Release the held results of a draw to the patient, once a clinician reviewed them."""
    patient = _get_patient_for_user(request.user, patient_id)
    collected_at = dt.datetime.fromtimestamp(at, tz=dt.UTC)
    held = list(
        LabResult.objects.for_patient(patient).valid().held().filter(collected_at=collected_at)
    )
    released = services.release_results(results=held, user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s result released to the patient.",
            "%(count)s results released to the patient.",
            released,
        )
        % {"count": released},
    )
    return redirect("monitoring:draw_detail", patient_id=patient.pk, at=at)


@staff_required
def record_entry(request: HttpRequest, patient_id: int, kind: str) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    entry = _get_kind(kind)
    # A GET may pre-fill the form, e.g. a dose suggestion the doctor chose to prepare.
    initial = {k: v for k, v in request.GET.items() if k in entry.form.base_fields}
    form = entry.form(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        patient=patient,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = entry.save(patient=patient, entered_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("%(title)s saved: %(entry)s.") % {"title": entry.title, "entry": saved}
            )
            return redirect(patient)
    context = {"patient": patient, "form": form, "entry": entry, "kind": kind}
    return render(request, "monitoring/record_entry.html", context)


@staff_required
def record_entry_entered_in_error(
    request: HttpRequest, patient_id: int, kind: str, entry_id: int
) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    entry_kind = _get_kind(kind)
    item = get_object_or_404(entry_kind.model.objects.filter(patient=patient), pk=entry_id)
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entry_entered_in_error(
                entry=item, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(title)s “%(entry)s” marked entered in error.")
                % {"title": entry_kind.title, "entry": item},
            )
            return redirect(patient)
    context = {"patient": patient, "item": item, "entry": entry_kind, "form": form}
    return render(request, "monitoring/record_entry_entered_in_error.html", context)


@staff_required
@require_POST
def medication_stop(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    patient = _get_patient_for_user(request.user, patient_id)
    medication = get_object_or_404(Medication.objects.filter(patient=patient), pk=medication_id)
    try:
        services.stop_medication(
            medication=medication, stopped_on=timezone.localdate(), user=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(medicine)s stopped today.") % {"medicine": medication.name})
    return redirect(patient)


@staff_required
@require_GET
def interaction_match(request: HttpRequest) -> JsonResponse:
    """What the interaction catalogue finds in a medicine name, while the nurse types."""
    text = request.GET.get("q", "")[:200]
    matches = services.match_interactions(text) if len(text.strip()) >= 3 else []
    return JsonResponse(
        {
            "matches": [
                {
                    "ingredient": m.ingredient,
                    "severity": m.get_severity_display(),
                    "effect": _(m.effect_text),
                    "action": _(m.action),
                }
                for m in matches
            ]
        }
    )


@staff_required
def ecg_tracing(request: HttpRequest, patient_id: int, ecg_id: int) -> FileResponse:
    """The tracing file, only through this access check (media is never served directly)."""
    patient = _get_patient_for_user(request.user, patient_id, what="ECG tracing", break_glass=True)
    ecg = get_object_or_404(Ecg.objects.filter(patient=patient), pk=ecg_id)
    if not ecg.tracing:
        raise Http404
    return FileResponse(ecg.tracing.open("rb"), as_attachment=False)


@role_required(Role.PATIENT)
def report_symptom(request: HttpRequest) -> HttpResponse:
    """A patient reports a symptom for their care team (A5: recordable by the patient)."""
    patient = get_object_or_404(Patient.objects.visible_to(request.user))
    form = SymptomForm(request.POST or None, patient=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_symptom(patient=patient, entered_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Thank you: your care team will see this symptom."))
            return redirect(reverse("monitoring:patient_chart", args=[patient.pk]))
    return render(request, "monitoring/report_symptom.html", {"form": form, "patient": patient})
