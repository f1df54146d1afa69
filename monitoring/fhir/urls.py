"""/fhir/R4/: the FHIR API (issue #6). Ids are matched as text so that a malformed id is the
same OperationOutcome 404 as an unknown one."""

from django.urls import path, re_path

from . import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_type, name="patient_type"),
    path("Patient/<str:resource_id>", views.patient_read, name="patient_read"),
    path(
        "Patient/<str:resource_id>/$everything",
        views.patient_everything,
        name="patient_everything",
    ),
    path("Observation", views.observation_type, name="observation_type"),
    path("Observation/<str:resource_id>", views.observation_read, name="observation_read"),
    path(
        "MedicationStatement",
        views.medication_statement_type,
        name="medication_statement_type",
    ),
    path(
        "MedicationStatement/<str:resource_id>",
        views.medication_statement_read,
        name="medication_statement_read",
    ),
    path("DetectedIssue", views.detected_issue_type, name="detected_issue_type"),
    path("DetectedIssue/<str:resource_id>", views.detected_issue_read, name="detected_issue_read"),
    re_path(r"^(?P<path>.*)$", views.unknown, name="unknown"),
]
