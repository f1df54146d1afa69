"""Django admin for clinic administrators: scoped to their clinics, audited, no hard deletes."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    AccessEvent,
    Alert,
    Allergy,
    Analyte,
    AnalyteUnit,
    BreakGlassGrant,
    Clinic,
    Ecg,
    InteractingIngredient,
    InteractionFinding,
    LabResult,
    Medication,
    MonitoringInterval,
    Patient,
    Regimen,
    ReproductiveStatus,
    RuleSetting,
    RuleSuppression,
    Share,
    Symptom,
    TroughTarget,
    User,
    Vaccination,
    Vaccine,
    Weight,
)
from .rules import REGISTRY


class NoDeleteMixin:
    """Clinical data is never hard-deleted (mark entered in error instead)."""

    def has_delete_permission(self, request, obj=None):
        return False


class ClinicScopedMixin:
    """A clinic administrator sees only the rows of their clinics; a superuser sees all."""

    clinic_lookup = "clinic"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.clinic_lookup}__in": request.user.clinics.all()})


@admin.register(Clinic)
class ClinicAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["name", "code", "default_trough_low", "default_trough_high", "unit_system"]
    actions = ["create_rule_settings"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.ensure_rule_settings(clinic=obj, user=request.user)

    @admin.action(description="Create the missing rule settings (registry defaults)")
    def create_rule_settings(self, request, queryset):
        created = sum(
            services.ensure_rule_settings(clinic=clinic, user=request.user) for clinic in queryset
        )
        messages.success(request, f"{created} rule settings created.")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(staff=request.user)


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "clinics"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Clinical role", {"fields": ["role", "clinics"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Clinical role", {"fields": ["role", "clinics", "first_name", "last_name", "email"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history rows point at the user


@admin.register(Patient)
class PatientAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    list_display = [
        "last_name",
        "first_name",
        "mrn",
        "clinic",
        "date_of_birth",
        "sex",
        "access_log",
    ]
    list_filter = ["clinic", "sex"]
    search_fields = ["last_name", "first_name", "mrn"]
    raw_id_fields = ["user"]

    @admin.display(description=_("Who looked at the record"))
    def access_log(self, patient: Patient) -> str:
        # The clinic administrator's screen of access events (issue #7).
        return format_html(
            '<a href="{}">{}</a>',
            reverse("monitoring:patient_access_log", args=[patient.pk]),
            _("Access log"),
        )


@admin.register(Share)
class ShareAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "grantee", "created_at", "expires_at", "revoked_at"]
    raw_id_fields = ["patient", "grantee"]


@admin.register(TroughTarget)
class TroughTargetAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "low", "high", "starts_at", "reason", "set_by"]
    raw_id_fields = ["patient", "set_by"]


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 0


@admin.register(Analyte)
class AnalyteAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["name", "code", "loinc", "unit", "panel", "sort_order", "release_policy"]
    list_filter = ["panel", "release_policy"]
    search_fields = ["name", "name_fr", "code", "loinc"]
    inlines = [AnalyteUnitInline]


class LabResultChangeForm(forms.ModelForm):
    reason = forms.CharField(max_length=300, help_text="Required: why this result is changed.")

    class Meta:
        model = LabResult
        fields = ["value", "collected_at", "last_dose_at", "comment"]


@admin.register(LabResult)
class LabResultAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    """Results are entered in the app; here a correction needs a reason and goes through the
    same service (validation, audit, rules) as the app's edit page."""

    clinic_lookup = "patient__clinic"
    form = LabResultChangeForm
    list_display = ["patient", "analyte", "value", "unit", "collected_at", "status"]
    list_filter = ["analyte", "status"]
    search_fields = ["patient__last_name", "patient__mrn"]
    readonly_fields = ["patient", "analyte", "unit", "status", "entered_by", "entered_at"]
    list_select_related = ["patient", "analyte"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in LabResultChangeForm.Meta.fields}
        try:
            services.amend_result(
                result=obj, user=request.user, reason=form.cleaned_data["reason"], **changes
            )
        except ValidationError as error:
            messages.error(request, "Not saved: " + " ".join(error.messages))


@admin.register(Alert)
class AlertAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "rule_code", "severity", "status", "occurrences", "last_raised_at"]
    list_filter = ["status", "severity", "rule_code"]
    list_select_related = ["patient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # alerts change through acknowledgement in the worklist


@admin.register(InteractingIngredient)
class InteractingIngredientAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["ingredient", "drug_class", "effect", "severity", "recheck_days"]
    list_filter = ["effect", "severity"]
    search_fields = ["ingredient", "code", "drug_class", "names"]


@admin.register(Vaccine)
class VaccineAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["name", "code", "is_live"]
    list_filter = ["is_live"]
    search_fields = ["name", "code", "names"]


class ReadOnlyRecordAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    """Clinical record entries are written through the app's audited forms; here they are
    read, searched and filtered (their history included), never edited."""

    clinic_lookup = "patient__clinic"
    search_fields = ["patient__last_name", "patient__first_name", "patient__mrn"]
    list_select_related = ["patient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Regimen)
class RegimenAdmin(ReadOnlyRecordAdmin):
    list_display = [
        "patient",
        "product",
        "formulation",
        "morning_dose_mg",
        "evening_dose_mg",
        "started_on",
        "ended_on",
        "status",
    ]
    list_filter = ["formulation", "product", "status"]


@admin.register(Weight)
class WeightAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "weight_kg", "measured_on", "status"]
    list_filter = ["status"]


@admin.register(Ecg)
class EcgAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "recorded_at", "qt_ms", "qtc_ms", "qtc_method", "status"]
    list_filter = ["rhythm", "status"]


@admin.register(Medication)
class MedicationAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "name", "dose", "started_on", "stopped_on", "status"]
    list_filter = ["status"]
    search_fields = [*ReadOnlyRecordAdmin.search_fields, "name"]


@admin.register(InteractionFinding)
class InteractionFindingAdmin(ReadOnlyRecordAdmin):
    clinic_lookup = "medication__patient__clinic"
    list_display = ["medication", "ingredient", "found_at"]
    list_filter = ["ingredient__severity"]
    search_fields = ["medication__name", "ingredient__ingredient"]
    list_select_related = ["medication", "ingredient"]


@admin.register(Allergy)
class AllergyAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "substance", "allergy_class", "is_contraindication", "status"]
    list_filter = ["allergy_class", "is_contraindication", "status"]


@admin.register(Vaccination)
class VaccinationAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "name", "state", "date", "is_live", "status"]
    list_filter = ["state", "is_live", "status"]


@admin.register(ReproductiveStatus)
class ReproductiveStatusAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "kind", "started_on", "ended_on", "status"]
    list_filter = ["kind", "status"]


@admin.register(Symptom)
class SymptomAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "kind", "severity", "started_on", "ended_on", "status"]
    list_filter = ["kind", "severity", "status"]


class RuleSettingForm(forms.ModelForm):
    reason = forms.CharField(max_length=300, help_text="Required: why this rule is changed.")

    class Meta:
        model = RuleSetting
        fields = ["is_enabled", "severity", "params"]


@admin.register(RuleSetting)
class RuleSettingAdmin(NoDeleteMixin, ClinicScopedMixin, SimpleHistoryAdmin):
    """A clinic's rules: every change bumps the version and records who and why."""

    form = RuleSettingForm
    list_display = ["code", "rule_name", "clinic", "is_enabled", "severity", "params", "version"]
    list_filter = ["clinic", "is_enabled", "severity"]
    search_fields = ["code"]
    readonly_fields = ["clinic", "code", "rule_name", "rule_source", "version"]

    def has_add_permission(self, request):
        return False  # rows come from the registry (Clinic admin action)

    @admin.display(description="rule")
    def rule_name(self, obj):
        registered = REGISTRY.get(obj.code)
        return registered.definition.name if registered else "(no longer registered)"

    @admin.display(description="source")
    def rule_source(self, obj):
        registered = REGISTRY.get(obj.code)
        return registered.definition.source if registered else ""

    def save_model(self, request, obj, form, change):
        try:
            services.update_rule_setting(
                setting=obj,
                user=request.user,
                reason=form.cleaned_data["reason"],
                is_enabled=form.cleaned_data["is_enabled"],
                severity=form.cleaned_data["severity"],
                params=form.cleaned_data["params"] or {},
            )
        except ValidationError as error:
            messages.error(request, "Not saved: " + " ".join(error.messages))


@admin.register(MonitoringInterval)
class MonitoringIntervalAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["test", "clinic", "patient", "initial_days", "stable_days", "reason"]
    list_filter = ["test", "clinic"]
    raw_id_fields = ["patient"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        clinics = request.user.clinics.all()
        return queryset.filter(Q(clinic__in=clinics) | Q(patient__clinic__in=clinics))


@admin.register(RuleSuppression)
class RuleSuppressionAdmin(ReadOnlyRecordAdmin):
    list_display = ["patient", "rule_code", "until", "reason", "created_by", "ended_at"]
    list_filter = ["rule_code"]


class AuditLogAdmin(admin.ModelAdmin):
    """The access log and the break-glass grants: read by the clinic administrator (role
    admin, staff) and superusers, never added, changed or deleted (the database refuses it
    too)."""

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_active and (user.is_superuser or (user.is_staff and user.role == "admin"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(AuditLogAdmin):
    list_display = ["at", "user", "role", "action", "patient", "object_type", "object_id", "path"]
    list_filter = ["action", ("user", admin.RelatedOnlyFieldListFilter), "at"]
    date_hierarchy = "at"
    search_fields = ["patient__mrn"]
    list_select_related = ["user", "patient"]
    show_full_result_count = False  # a COUNT over the whole log on every page is slow

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # The administrator's clinics: events on their patients, and sign-ins of their staff.
        clinics = request.user.clinics.all()
        return queryset.filter(
            Q(patient__clinic__in=clinics)
            | Q(patient__isnull=True, user__in=User.objects.filter(clinics__in=clinics))
        )


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(AuditLogAdmin):
    list_display = ["granted_at", "doctor", "patient", "expires_at", "reason"]
    list_filter = [("doctor", admin.RelatedOnlyFieldListFilter), "granted_at"]
    search_fields = ["patient__mrn"]
    list_select_related = ["doctor", "patient"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(patient__clinic__in=request.user.clinics.all())
