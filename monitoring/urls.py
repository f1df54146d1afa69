from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/troughs/new/", views.record_trough, name="record_trough"),
    path("patients/<int:patient_id>/target/", views.trough_target_set, name="trough_target_set"),
    path("results/<int:result_id>/edit/", views.result_edit, name="result_edit"),
    path(
        "results/<int:result_id>/entered-in-error/",
        views.result_entered_in_error,
        name="result_entered_in_error",
    ),
    path("results/<int:result_id>/history/", views.result_history, name="result_history"),
    path("patients/<int:patient_id>/charts/", views.patient_charts, name="patient_charts"),
    path(
        "patients/<int:patient_id>/results.csv",
        views.patient_results_csv,
        name="patient_results_csv",
    ),
    path("clinics/<slug:code>/results.csv", views.clinic_results_csv, name="clinic_results_csv"),
    path("imports/results/", views.results_import, name="results_import"),
    path("imports/results/confirm/", views.results_import_confirm, name="results_import_confirm"),
    path(
        "imports/results/example.csv",
        views.results_import_example,
        name="results_import_example",
    ),
    path("draws/new/", views.record_draw, name="record_draw"),
    path("patients/<int:patient_id>/draws/<int:at>/", views.draw_detail, name="draw_detail"),
    path(
        "patients/<int:patient_id>/draws/<int:at>/release/",
        views.draw_release,
        name="draw_release",
    ),
    path("patients/<int:patient_id>/record/<slug:kind>/", views.record_entry, name="record_entry"),
    path(
        "patients/<int:patient_id>/record/<slug:kind>/<int:entry_id>/entered-in-error/",
        views.record_entry_entered_in_error,
        name="record_entry_entered_in_error",
    ),
    path(
        "patients/<int:patient_id>/medications/<int:medication_id>/stop/",
        views.medication_stop,
        name="medication_stop",
    ),
    path(
        "patients/<int:patient_id>/ecgs/<int:ecg_id>/tracing/",
        views.ecg_tracing,
        name="ecg_tracing",
    ),
    path("interactions/match/", views.interaction_match, name="interaction_match"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/alerts.csv", views.worklist_alerts_csv, name="worklist_alerts_csv"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/suppress/", views.alert_suppress, name="alert_suppress"),
    path("alerts/acknowledge/", views.alert_bulk_acknowledge, name="alert_bulk_acknowledge"),
    path("lab/unmatched/", views.unmatched_list, name="unmatched_list"),
    path("lab/unmatched/<int:item_id>/", views.unmatched_detail, name="unmatched_detail"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("chart/", views.my_chart, name="my_chart"),
    path("chart/<int:patient_id>/", views.patient_chart, name="patient_chart"),
    path("symptoms/new/", views.report_symptom, name="report_symptom"),
    path("sharing/", views.sharing, name="sharing"),
    path("sharing/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path(
        "sharing/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("dose-time/new/", views.report_last_dose, name="report_last_dose"),
    path("api/hl7/", views.hl7_message, name="hl7_message"),
    path("language/", views.set_language, name="set_language"),
    path("units/", views.set_unit_system, name="set_unit_system"),
]
