"""The FHIR R4 endpoints: function views that answer JSON only, errors as OperationOutcome.

Authentication: `Authorization: Bearer <token>` (an API token), or a signed-in browser session
for reads. Writes need a token: they are exempt from CSRF, which is only safe because a
session can never write here. Scoping is the pages' own (Patient.objects.visible_to): a
resource the user may not see is the same 404 as one that does not exist, and a search
naming another patient is an empty Bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import wraps
from importlib.metadata import PackageNotFoundError, version

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .. import services
from ..imports.csv_results import import_value_problems
from ..models import (
    AccessAction,
    AccessEvent,
    Alert,
    ClinicalEntry,
    LabResult,
    Medication,
    Patient,
    Regimen,
    ResultStatus,
    Role,
    Share,
    ShareAccess,
    User,
)
from ..views.access import _get_patient_for_user
from . import resources, search
from .search import SearchError
from .writes import FhirInputError, observation_arguments, patient_arguments, read_resource

PORTAL_ROLES = (Role.PATIENT, Role.FAMILY)


# --- Responses ---------------------------------------------------------------------------------


def _json(data: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=resources.CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _outcome(status: int, code: str, *messages: str, headers: dict | None = None) -> HttpResponse:
    return _json(
        resources.operation_outcome(list(messages), code=code), status=status, headers=headers
    )


def _not_found(resource_type: str, resource_id: str) -> HttpResponse:
    # The same answer for an id that does not exist and one the user may not see.
    return _outcome(
        404,
        "not-found",
        _("%(type)s/%(id)s is not known.") % {"type": resource_type, "id": resource_id},
    )


def _unauthorized(message: str) -> HttpResponse:
    return _outcome(
        401, "login", message, headers={"WWW-Authenticate": 'Bearer realm="tdm-tracker FHIR"'}
    )


def _base(request: HttpRequest) -> str:
    """The absolute service base URL, ending in a slash."""
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


# --- Authentication ----------------------------------------------------------------------------


def _authenticate(request: HttpRequest) -> tuple[User | None, bool]:
    """The user and whether they came with a token. A token, when sent, decides alone: a
    wrong one is refused even in a signed-in browser."""
    if "Authorization" in request.headers:
        return services.user_for_bearer_token(request), True
    user = request.user
    if user.is_authenticated and user.is_active:
        return user, False
    return None, False


def fhir_view(*methods: str, public: bool = False):
    """A FHIR endpoint answering `methods`; every other method is 405, every failure an
    OperationOutcome. Sets request.user to the token's user (history rows name them) and
    their saved language (DetectedIssue.detail and messages are in it)."""

    def decorator(view: Callable) -> Callable:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return _outcome(
                    405,
                    "not-supported",
                    _("%(method)s is not supported here (allowed: %(allowed)s).")
                    % {"method": request.method, "allowed": ", ".join(methods)},
                    headers={"Allow": ", ".join(methods)},
                )
            if public:
                return view(request, *args, **kwargs)
            user, has_token = _authenticate(request)
            if user is None:
                return _unauthorized(
                    _("The API token is unknown or revoked.")
                    if has_token
                    else _("Send an API token: Authorization: Bearer <token>.")
                )
            if request.method == "POST" and not has_token:
                return _unauthorized(_("Writes need an API token: Authorization: Bearer <token>."))
            if has_token:
                request.user = user
                if user.language:
                    translation.activate(user.language)
            try:
                return view(request, user, *args, **kwargs)
            except SearchError as error:
                return _outcome(400, "invalid", str(error))

        return wrapper

    return decorator


# --- What each user may see --------------------------------------------------------------------


def _is_portal(user: User) -> bool:
    return user.role in PORTAL_ROLES


def _patients(user: User) -> QuerySet[Patient]:
    return Patient.objects.visible_to(user)


def _results(user: User) -> QuerySet[LabResult]:
    results = LabResult.objects.filter(patient__in=_patients(user))
    # Patients and family see what the portal shows: released results only.
    return results.released() if _is_portal(user) else results


def _alerts(user: User) -> QuerySet[Alert]:
    # The portal shows patients and family no alerts: neither does the API.
    return Alert.objects.none() if _is_portal(user) else Alert.objects.visible_to(user)


def _entries(model, user: User) -> QuerySet:
    entries = model.objects.filter(patient__in=_patients(user))
    return entries.valid() if _is_portal(user) else entries


def _record_reads(user: User, patient_ids: set[int], what: str) -> None:
    """Every read of patients' data through the API goes into the access log, one event per
    patient (issue #7), and a family member's read is recorded on their share as the pages
    record it: at most three queries, whatever the number of patients."""
    if not patient_ids:
        return
    AccessEvent.objects.bulk_create(
        services.access_event(user=user, action=AccessAction.API_READ, patient=pk, what=what)
        for pk in sorted(patient_ids)
    )
    if user.role != Role.FAMILY:
        return
    share_ids = {}
    for share_id, patient_id in (
        Share.objects.active()
        .filter(grantee=user, patient_id__in=patient_ids)
        .values_list("pk", "patient_id")
    ):
        share_ids.setdefault(patient_id, share_id)
    ShareAccess.objects.bulk_create(
        ShareAccess(share_id=share_id, what=what[:100]) for share_id in share_ids.values()
    )


def _read_patient(user: User, patient_id: str, what: str) -> Patient | None:
    if not patient_id.isdigit():
        return None
    try:
        return _get_patient_for_user(user, int(patient_id), what=what)
    except Http404:
        return None


# --- Bundles -----------------------------------------------------------------------------------


def _searchset(
    request: HttpRequest, resource_list: list[dict], *, total: int, page: search.Page
) -> HttpResponse:
    links = {"self": request.build_absolute_uri()}
    if page.count and page.offset + page.count < total:
        links["next"] = _page_url(request, page.offset + page.count, page.count)
    if page.offset > 0:
        links["previous"] = _page_url(request, max(page.offset - page.count, 0), page.count)
    return _json(
        resources.bundle(resources=resource_list, base=_base(request), total=total, links=links)
    )


def _page_url(request: HttpRequest, offset: int, count: int) -> str:
    query = request.GET.copy()
    query["_offset"] = str(offset)
    query["_count"] = str(count)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _paged(queryset: QuerySet, page: search.Page) -> tuple[int, list]:
    """The total and one page, sliced in the database: two queries."""
    total = queryset.count()
    if not page.count or page.offset >= total:
        return total, []
    return total, list(queryset[page.offset : page.offset + page.count])


# --- metadata ----------------------------------------------------------------------------------


@fhir_view("GET", public=True)
def metadata(request: HttpRequest) -> HttpResponse:
    try:
        software_version = version("tdm-tracker")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout not installed
        software_version = "unknown"
    return _json(
        resources.capability_statement(base=_base(request), software_version=software_version)
    )


# --- Patient -----------------------------------------------------------------------------------


@fhir_view("GET", "POST")
def patient_type(request: HttpRequest, user: User) -> HttpResponse:
    if request.method == "POST":
        return _create_patient(request, user)
    query = request.GET
    search.check_names(query, {"identifier"})
    patients = _patients(user).select_related("clinic")
    if "identifier" in query:
        wanted = Q(pk__in=[])
        for system, mrn in search.tokens(query, "identifier"):
            condition = Q(mrn=mrn) if mrn else Q()
            if system and system.startswith(resources.CLINIC_SYSTEM_PREFIX):
                condition &= Q(clinic__code=system.removeprefix(resources.CLINIC_SYSTEM_PREFIX))
            elif system:
                continue  # an identifier system we do not issue names nobody
            wanted |= condition
        patients = patients.filter(wanted)
    page = search.page(query)
    total, rows = _paged(patients.order_by("last_name", "first_name", "pk"), page)
    _record_reads(user, {p.pk for p in rows}, "FHIR Patient search")
    return _searchset(
        request, [resources.patient_resource(p) for p in rows], total=total, page=page
    )


@fhir_view("GET")
def patient_read(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    patient = _read_patient(user, resource_id, "FHIR Patient")
    if patient is None:
        return _not_found("Patient", resource_id)
    return _json(resources.patient_resource(patient))


@fhir_view("GET")
def patient_everything(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    """The patient's record as one Bundle: Patient, Observations (every status, as a read
    by id shows them), MedicationStatements and DetectedIssues the user may see. With
    `?_download=1`, served as a file: the FHIR export of a patient's record."""
    search.check_names(request.GET, {"_download"})
    patient = _read_patient(user, resource_id, "FHIR Patient $everything")
    if patient is None:
        return _not_found("Patient", resource_id)
    today = timezone.localdate()
    results = (
        _results(user)
        .filter(patient=patient)
        .select_related("analyte", "patient")
        .order_by("-collected_at", "-pk")
    )
    found = [resources.patient_resource(patient)]
    found += [resources.observation_resource(r) for r in results]
    found += [
        resources.regimen_resource(r, today=today)
        for r in _entries(Regimen, user).filter(patient=patient)
    ]
    found += [
        resources.medication_resource(m, today=today)
        for m in _entries(Medication, user).filter(patient=patient)
    ]
    alerts = _alerts(user).filter(patient=patient).select_related("acknowledged_by")
    found += [resources.detected_issue_resource(a) for a in alerts.order_by("-first_raised_at")]
    data = resources.bundle(
        resources=found,
        base=_base(request),
        total=len(found),
        links={"self": request.build_absolute_uri()},
    )
    headers = {}
    if request.GET.get("_download") == "1":
        safe_mrn = re.sub(r"[^A-Za-z0-9._-]", "_", patient.mrn)
        headers["Content-Disposition"] = f'attachment; filename="patient-{safe_mrn}-fhir.json"'
    return _json(data, headers=headers)


def _create_patient(request: HttpRequest, user: User) -> HttpResponse:
    if not user.can_import_results:
        return _outcome(403, "forbidden", _("Only nurses, doctors and interfaces may write."))
    try:
        arguments = patient_arguments(read_resource(request.body, "Patient"), user=user)
        with transaction.atomic():
            existing = (
                Patient.objects.select_for_update()
                .filter(clinic=arguments["clinic"], mrn=arguments["mrn"])
                .first()
            )
            if existing is not None:
                # Conditional create is not supported: an existing MRN is a conflict.
                return _outcome(
                    409,
                    "duplicate",
                    _("Patient/%(id)s already has MRN %(mrn)s in %(clinic)s.")
                    % {
                        "id": existing.pk,
                        "mrn": existing.mrn,
                        "clinic": arguments["clinic"].name,
                    },
                )
            patient, _created = services.register_patient(
                **arguments, user=user, reason="FHIR Patient create"
            )
            services.record_access(
                user=user, action=AccessAction.API_WRITE, patient=patient, obj=patient
            )
    except FhirInputError as error:
        return _outcome(error.status, error.code, *error.messages)
    except ValidationError as error:
        return _outcome(422, "invalid", *error.messages)
    location = request.build_absolute_uri(reverse("fhir:patient_read", args=[patient.pk]))
    return _json(resources.patient_resource(patient), status=201, headers={"Location": location})


# --- Observation -------------------------------------------------------------------------------


@fhir_view("GET", "POST")
def observation_type(request: HttpRequest, user: User) -> HttpResponse:
    if request.method == "POST":
        return _create_observation(request, user)
    query = request.GET
    search.check_names(query, {"patient", "code", "date", "status", "_sort"})
    results = _results(user)
    ids = search.patient_ids(query)
    if ids is not None:
        results = results.filter(patient_id__in=ids)
    if "code" in query:
        results = results.filter(search.analyte_filter(search.tokens(query, "code")))
    results = results.filter(search.date_filter(query, "date", "collected_at"))
    statuses = search.status_values(query, ResultStatus.values)
    results = results.valid() if statuses is None else results.filter(status__in=statuses)
    order = ("-collected_at", "-pk") if search.sort_descending(query) else ("collected_at", "pk")
    page = search.page(query)
    total, rows = _paged(results.select_related("analyte", "patient").order_by(*order), page)
    _record_reads(user, {r.patient_id for r in rows}, "FHIR Observation search")
    return _searchset(
        request, [resources.observation_resource(r) for r in rows], total=total, page=page
    )


@fhir_view("GET")
def observation_read(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    result = None
    if resource_id.isdigit():
        result = _results(user).select_related("analyte", "patient").filter(pk=resource_id).first()
    if result is None:
        return _not_found("Observation", resource_id)
    _record_reads(user, {result.patient_id}, "FHIR Observation")
    return _json(resources.observation_resource(result))


def _create_observation(request: HttpRequest, user: User) -> HttpResponse:
    if not user.can_import_results:
        return _outcome(403, "forbidden", _("Only nurses, doctors and interfaces may write."))
    try:
        arguments = observation_arguments(read_resource(request.body, "Observation"), user=user)
        # What no confirmation can lift, and implausible values: nobody is at hand to confirm
        # them, as for a file import.
        problems = import_value_problems(
            arguments["analyte"], arguments["value"], arguments["unit"]
        )
        if problems:
            raise FhirInputError(problems)
        with transaction.atomic():
            result, _alerts = services.record_result(
                **arguments, entered_by=user, run_record_rules=False
            )
            # As the entry form and the file imports: eGFR from a creatinine (CKD-EPI 2021).
            services.derive_egfr_for_samples(results=[result], entered_by=user)
            services.evaluate_record(patient=result.patient, user=user)
            services.record_access(
                user=user, action=AccessAction.API_WRITE, patient=result.patient_id, obj=result
            )
    except FhirInputError as error:
        return _outcome(error.status, error.code, *error.messages)
    except services.DuplicateResultError as error:
        return _outcome(409, "duplicate", *error.messages)
    except ValidationError as error:
        return _outcome(422, "invalid", *error.messages)
    location = request.build_absolute_uri(reverse("fhir:observation_read", args=[result.pk]))
    return _json(resources.observation_resource(result), status=201, headers={"Location": location})


# --- MedicationStatement -----------------------------------------------------------------------

MEDICATION_STATUSES = ["active", "stopped", "intended", "entered-in-error"]


def _medication_status(status: str, end_field: str, today: dt.date) -> Q:
    """The entries whose MedicationStatement status (resources.entry_status) is `status`."""
    in_error = Q(status=ClinicalEntry.Status.ENTERED_IN_ERROR)
    if status == "entered-in-error":
        return in_error
    if status == "stopped":
        return ~in_error & Q(**{f"{end_field}__lte": today})
    if status == "intended":
        return ~in_error & Q(started_on__gt=today)
    return (
        ~in_error
        & Q(started_on__lte=today)
        & (Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gt": today}))
    )


@fhir_view("GET")
def medication_statement_type(request: HttpRequest, user: User) -> HttpResponse:
    """Regimens first, then the other medicines, each newest first; paged across both."""
    query = request.GET
    search.check_names(query, {"patient", "status"})
    today = timezone.localdate()
    statuses = search.status_values(query, MEDICATION_STATUSES) or ["active", "stopped", "intended"]
    kinds = []
    for model, end_field in ((Regimen, "ended_on"), (Medication, "stopped_on")):
        entries = _entries(model, user)
        ids = search.patient_ids(query)
        if ids is not None:
            entries = entries.filter(patient_id__in=ids)
        wanted = Q(pk__in=[])
        for status in statuses:
            wanted |= _medication_status(status, end_field, today)
        kinds.append(entries.filter(wanted).order_by("-started_on", "-pk"))
    regimens, medications = kinds
    page = search.page(query)
    regimen_total, regimen_rows = _paged(regimens, page)
    # The medicines' part of the page starts where the regimens end.
    medication_page = search.Page(
        count=page.count - len(regimen_rows), offset=max(page.offset - regimen_total, 0)
    )
    medication_total, medication_rows = _paged(medications, medication_page)
    found = [resources.regimen_resource(r, today=today) for r in regimen_rows]
    found += [resources.medication_resource(m, today=today) for m in medication_rows]
    patient_ids = {r.patient_id for r in regimen_rows} | {m.patient_id for m in medication_rows}
    _record_reads(user, patient_ids, "FHIR MedicationStatement search")
    return _searchset(request, found, total=regimen_total + medication_total, page=page)


@fhir_view("GET")
def medication_statement_read(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    kind, _dash, number = resource_id.partition("-")
    model = {"regimen": Regimen, "medication": Medication}.get(kind)
    entry = None
    if model is not None and number.isdigit():
        entry = _entries(model, user).filter(pk=number).first()
    if entry is None:
        return _not_found("MedicationStatement", resource_id)
    _record_reads(user, {entry.patient_id}, "FHIR MedicationStatement")
    today = timezone.localdate()
    if model is Regimen:
        return _json(resources.regimen_resource(entry, today=today))
    return _json(resources.medication_resource(entry, today=today))


# --- DetectedIssue -----------------------------------------------------------------------------

ALERT_STATUSES = {
    "preliminary": [Alert.Status.OPEN],
    "final": [Alert.Status.ACKNOWLEDGED, Alert.Status.RESOLVED],
}


@fhir_view("GET")
def detected_issue_type(request: HttpRequest, user: User) -> HttpResponse:
    query = request.GET
    search.check_names(query, {"patient", "status"})
    alerts = _alerts(user)
    ids = search.patient_ids(query)
    if ids is not None:
        alerts = alerts.filter(patient_id__in=ids)
    statuses = search.status_values(query, list(ALERT_STATUSES))
    if statuses is not None:
        alerts = alerts.filter(
            status__in=[s for status in statuses for s in ALERT_STATUSES[status]]
        )
    page = search.page(query)
    total, rows = _paged(
        alerts.select_related("acknowledged_by").order_by("-first_raised_at", "-pk"), page
    )
    return _searchset(
        request, [resources.detected_issue_resource(a) for a in rows], total=total, page=page
    )


@fhir_view("GET")
def detected_issue_read(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    alert = None
    if resource_id.isdigit():
        alert = _alerts(user).select_related("acknowledged_by").filter(pk=resource_id).first()
    if alert is None:
        return _not_found("DetectedIssue", resource_id)
    return _json(resources.detected_issue_resource(alert))


# --- Anything else under /fhir/R4/ --------------------------------------------------------------


@login_not_required
@csrf_exempt
def unknown(request: HttpRequest, path: str) -> HttpResponse:
    return _outcome(
        404,
        "not-supported",
        _("%(path)s is not a resource or operation this server supports.") % {"path": path},
    )
