"""The patient's access log for the clinic administrator, and the log in the Django admin."""

import pytest
from django.urls import reverse

from monitoring import services
from monitoring.models import AccessAction, AccessEvent, Role
from tests.factories import UserFactory


def log_url(patient):
    return reverse("monitoring:patient_access_log", args=[patient.pk])


def test_the_administrator_sees_who_looked_at_the_record_and_when(
    client, clinic_admin, nurse, patient_a
):
    client.force_login(nurse)
    client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))
    client.force_login(clinic_admin)

    response = client.get(log_url(patient_a))

    assert response.status_code == 200
    assert "Nadia Benali" in response.text
    assert "Viewed the record" in response.text


@pytest.mark.parametrize("who", ["nurse", "doctor", "alice", "family"])
def test_nobody_but_the_administrator_reads_the_access_log(client, request, patient_a, who):
    # ASVS: the log of who read a record is for the administrator, not for colleagues.
    user = request.getfixturevalue(who) if who != "alice" else patient_a.user
    client.force_login(user)

    assert client.get(log_url(patient_a)).status_code == 403


def test_an_administrator_of_another_clinic_gets_not_found(client, other_clinic, patient_a):
    client.force_login(
        UserFactory(role=Role.ADMIN, is_staff=True, clinics=[other_clinic], username="adm2")
    )

    assert client.get(log_url(patient_a)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, patient_a):
    response = client.get(log_url(patient_a))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_access_log_costs_the_same_queries_however_long(
    client, clinic_admin, nurse, patient_a, family, django_assert_num_queries
):
    def read(n):
        for _ in range(n):
            services.record_access(user=nurse, action=AccessAction.VIEW_RECORD, patient=patient_a)
            services.record_access(
                user=family,
                action=AccessAction.VIEW_CHART,
                patient=patient_a,
                share=family.shares_received.get(),
            )

    client.force_login(clinic_admin)
    read(1)
    client.get(log_url(patient_a))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(log_url(patient_a))
    read(40)

    with django_assert_num_queries(len(few)):
        response = client.get(log_url(patient_a))

    assert "Page 1 of 2" in response.text


def test_the_admin_lists_the_log_read_only_and_finds_it_by_mrn(
    client, clinic_admin, nurse, patient_a, patient_b
):
    services.record_access(user=nurse, action=AccessAction.VIEW_RECORD, patient=patient_a)
    services.record_access(user=nurse, action=AccessAction.VIEW_RECORD, patient=patient_b)
    client.force_login(clinic_admin)
    changelist = reverse("admin:monitoring_accessevent_changelist")

    response = client.get(changelist, {"q": "DR-1001"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(
        AccessEvent.objects.filter(patient=patient_a)
    )
    assert client.get(reverse("admin:monitoring_accessevent_add")).status_code == 403
    event = AccessEvent.objects.filter(patient=patient_a).get()
    delete = reverse("admin:monitoring_accessevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessEvent.objects.filter(pk=event.pk).exists()


def test_the_patient_list_of_the_admin_links_to_each_access_log(client, clinic, patient_a):
    from django.urls import reverse

    from tests.factories import UserFactory

    admin_user = UserFactory(
        username="clinicadmin", role="admin", is_staff=True, is_superuser=True, clinics=[clinic]
    )
    client.force_login(admin_user)
    page = client.get(reverse("admin:monitoring_patient_changelist")).text
    assert reverse("monitoring:patient_access_log", args=[patient_a.pk]) in page
