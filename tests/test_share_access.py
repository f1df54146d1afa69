"""Every read by a family member is recorded on behalf of their share; the patient sees on
the sharing page who looked, when and how often; stopping a share takes effect at once."""

import datetime as dt

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import ShareAccess
from tests.factories import ShareFactory, UserFactory


def chart_url(patient):
    return reverse("monitoring:patient_chart", args=[patient.pk])


def test_a_family_members_read_is_recorded_with_the_share(client, family, share, patient_a):
    client.force_login(family)

    response = client.get(chart_url(patient_a))

    assert response.status_code == 200
    [access] = ShareAccess.objects.all()
    assert access.share == share
    assert access.what == "patient_chart"
    assert timezone.now() - access.at < dt.timedelta(minutes=1)


def test_each_request_is_one_read(client, family, share, patient_a):
    client.force_login(family)

    client.get(chart_url(patient_a))
    client.get(chart_url(patient_a))

    assert share.accesses.count() == 2


def test_the_patients_and_staffs_reads_are_not_recorded(client, family, patient_a, nurse):
    client.force_login(patient_a.user)
    client.get(chart_url(patient_a))
    client.force_login(nurse)
    client.get(reverse("monitoring:patient_detail", args=[patient_a.pk]))

    assert not ShareAccess.objects.exists()


def test_a_refused_read_is_not_recorded(client, family, patient_b):
    client.force_login(family)

    response = client.get(chart_url(patient_b))

    assert response.status_code == 404
    assert not ShareAccess.objects.exists()


def test_a_family_members_read_costs_one_insert_more_than_the_patients_own(
    client, family, patient_a, record_trough, django_assert_num_queries
):
    record_trough(patient_a, 7)
    client.force_login(patient_a.user)
    client.get(chart_url(patient_a))  # warm up (content types, sessions)
    with CaptureQueriesContext(connection) as own:
        client.get(chart_url(patient_a))
    own_count = len(own)  # read now: the next request clears the connection's query log
    client.force_login(family)
    client.get(chart_url(patient_a))

    with django_assert_num_queries(own_count + 1) as shared:
        client.get(chart_url(patient_a))

    # The share read and the access log entry (which the patient's own read writes too).
    inserts = [q["sql"] for q in shared.captured_queries if "INSERT" in q["sql"]]
    assert [sql.split('"')[1] for sql in inserts] == [
        "monitoring_shareaccess",
        "monitoring_accessevent",
    ]


def test_stopping_a_share_refuses_the_family_members_very_next_request(
    client, family, share, patient_a, record_trough
):
    record_trough(patient_a, "6.66")
    carol = Client()
    carol.force_login(family)
    assert carol.get(chart_url(patient_a)).status_code == 200
    client.force_login(patient_a.user)

    client.post(reverse("monitoring:share_revoke", args=[share.pk]))
    response = carol.get(chart_url(patient_a))

    assert response.status_code == 404
    for secret in ["Alice", "Durand", "6.66"]:
        assert secret not in response.text
    assert share.accesses.count() == 1  # the refused read is not counted


def test_the_sharing_page_shows_when_each_family_member_last_looked(
    client, family, share, patient_a
):
    carol = Client()
    carol.force_login(family)
    with time_machine.travel(dt.datetime(2026, 3, 2, 18, 30, tzinfo=dt.UTC)):
        carol.get(chart_url(patient_a))
    with time_machine.travel(dt.datetime(2026, 3, 9, 7, 15, tzinfo=dt.UTC)):
        carol.get(chart_url(patient_a))
    ShareFactory(patient=patient_a, grantee=UserFactory(username="marc", first_name="Marc"))
    client.force_login(patient_a.user)

    response = client.get(reverse("monitoring:sharing"))

    # Times in the clinic's time zone (Europe/Paris, UTC+1 in March).
    assert "Last looked 9 March 2026, 08:15 · 2 times in all" in response.text
    assert "Has not looked at your results yet" in response.text


def test_the_sharing_page_uses_the_same_queries_for_few_or_many_shares(
    client, patient_a, django_assert_num_queries
):
    def add_share(n):
        share = ShareFactory(patient=patient_a, grantee=UserFactory(username=f"relative{n}"))
        for _ in range(3):
            ShareAccess.objects.create(share=share, what="patient_chart")
        services.invite_family_member(
            patient=patient_a, email=f"person{n}@example.org", invited_by=patient_a.user
        )

    add_share(0)
    client.force_login(patient_a.user)
    url = reverse("monitoring:sharing")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 6):
        add_share(n)

    with django_assert_num_queries(len(few)):
        response = client.get(url)

    assert response.text.count("times in all") == 6


def test_the_sharing_page_shows_only_the_patients_own_shares(client, family, patient_b):
    client.force_login(patient_b.user)

    response = client.get(reverse("monitoring:sharing"))

    assert "Carole" not in response.text
    assert "You are not sharing your results with anyone." in response.text


def test_an_anonymous_visitor_is_sent_to_log_in_from_the_sharing_page(client):
    response = client.get(reverse("monitoring:sharing"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
