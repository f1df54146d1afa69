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
    path("worklist/", views.worklist, name="worklist"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("chart/", views.my_chart, name="my_chart"),
    path("chart/<int:patient_id>/", views.patient_chart, name="patient_chart"),
    path("sharing/", views.sharing, name="sharing"),
    path("sharing/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
]
