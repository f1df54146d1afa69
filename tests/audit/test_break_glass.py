"""Break-glass: a doctor outside the patient's clinic reads the record for four hours, with a
reason, every use logged; nobody else may, and nothing can be changed through it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from monitoring.models import AccessAction, AccessEvent, BreakGlassGrant, Patient
from tests.audit.conftest import REASON

URL = reverse("monitoring:break_glass")


def detail_url(patient):
    return reverse("monitoring:patient_detail", args=[patient.pk])


def ask(client, mrn="LY-2001", clinic_code="lyon-lupus", reason=REASON):
    return client.post(URL, {"mrn": mrn, "clinic_code": clinic_code, "reason": reason})


def test_a_doctor_opens_another_clinics_patient_with_a_reason(client, doctor, patient_other):
    client.force_login(doctor)
    assert client.get(detail_url(patient_other)).status_code == 404

    response = ask(client)

    assert response.status_code == 302
    assert response.url == detail_url(patient_other)
    page = client.get(detail_url(patient_other))
    assert page.status_code == 200
    assert "David Garnier" in page.text
    assert "Emergency access (break-glass)" in page.text
    grant = BreakGlassGrant.objects.get()
    assert (grant.doctor, grant.patient, grant.reason) == (doctor, patient_other, REASON)
    assert grant.expires_at - grant.granted_at == dt.timedelta(hours=4)


def test_the_grant_and_every_read_through_it_are_logged(client, doctor, patient_other):
    client.force_login(doctor)
    ask(client)
    grant = BreakGlassGrant.objects.get()

    client.get(detail_url(patient_other))

    events = AccessEvent.objects.filter(patient=patient_other).order_by("pk")
    assert [(e.action, e.break_glass) for e in events] == [
        (AccessAction.BREAK_GLASS, grant),
        (AccessAction.VIEW_RECORD, grant),
    ]


@pytest.mark.parametrize("reason", ["", "emergency", "   short reason     "])
def test_a_reason_of_fewer_than_20_characters_gives_no_access(
    client, doctor, patient_other, reason
):
    client.force_login(doctor)

    response = ask(client, reason=reason)

    assert response.status_code == 200
    assert "at least 20 characters" in response.text or "This field is required" in response.text
    assert not BreakGlassGrant.objects.exists()
    assert client.get(detail_url(patient_other)).status_code == 404


@pytest.mark.parametrize(
    "mrn, clinic_code", [("LY-20", "lyon-lupus"), ("LY-2001", "lyon"), ("DR-1001", "lyon-lupus")]
)
def test_only_the_exact_mrn_and_clinic_code_find_the_patient(
    client, doctor, patient_other, patient_a, mrn, clinic_code
):
    client.force_login(doctor)

    response = ask(client, mrn=mrn, clinic_code=clinic_code)

    assert "No patient has this MRN in the clinic with this code." in response.text
    assert "David" not in response.text
    assert not BreakGlassGrant.objects.exists()
    assert AccessEvent.objects.filter(action=AccessAction.DENIED, user=doctor).exists()


def test_a_patient_of_ones_own_clinic_needs_no_break_glass(client, doctor, patient_a):
    client.force_login(doctor)

    response = ask(client, mrn="DR-1001", clinic_code="demo-rheum")

    assert "This patient is in your clinic" in response.text
    assert not BreakGlassGrant.objects.exists()


def test_the_access_ends_after_four_hours(client, doctor, patient_other):
    client.force_login(doctor)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(client)
    with time_machine.travel(start + dt.timedelta(hours=3, minutes=59), tick=False):
        client.force_login(doctor)  # a fresh sign-in: the idle limit is 15 minutes
        assert client.get(detail_url(patient_other)).status_code == 200
        assert patient_other in Patient.objects.visible_to(doctor, break_glass=True)
        # Only the read pages ask for break-glass patients; by default they stay out.
        assert patient_other not in Patient.objects.visible_to(doctor)

    with time_machine.travel(start + dt.timedelta(hours=4, minutes=1), tick=False):
        client.force_login(doctor)
        assert client.get(detail_url(patient_other)).status_code == 404
        assert patient_other not in Patient.objects.visible_to(doctor, break_glass=True)


def test_break_glass_access_is_read_only(client, doctor, patient_other, record_trough, nurse_other):
    result = record_trough(patient_other, "9.4", by=nurse_other)
    alert = patient_other.alerts.get()
    client.force_login(doctor)
    ask(client)

    assert client.get(reverse("monitoring:result_history", args=[result.pk])).status_code == 200
    assert (
        client.get(reverse("monitoring:patient_charts", args=[patient_other.pk])).status_code == 200
    )
    refused = [
        client.post(reverse("monitoring:record_trough", args=[patient_other.pk]), {"value": "5"}),
        client.get(reverse("monitoring:trough_target_set", args=[patient_other.pk])),
        client.post(reverse("monitoring:result_edit", args=[result.pk]), {"reason": "x"}),
        client.post(
            reverse("monitoring:alert_acknowledge", args=[alert.pk]),
            {"decision": "no-change", "comment": "Seen"},
        ),
    ]
    assert [r.status_code for r in refused] == [404] * 4
    alert.refresh_from_db()
    assert alert.is_open
    # Off the worklist too: it is the other clinic's to review.
    assert "Garnier" not in client.get(reverse("monitoring:worklist")).text


@pytest.mark.parametrize("who", ["nurse", "alice", "family"])
def test_only_doctors_may_break_glass(client, request, patient_a, patient_other, who):
    user = patient_a.user if who == "alice" else request.getfixturevalue(who)
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert ask(client).status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_administrator_sees_the_grant_on_the_patients_access_log(
    client, doctor, other_clinic, patient_other, break_glass
):
    from tests.factories import UserFactory

    break_glass()
    admin = UserFactory(role="admin", is_staff=True, clinics=[other_clinic], username="adm2")
    client.force_login(admin)

    page = client.get(reverse("monitoring:patient_access_log", args=[patient_other.pk]))

    assert "Daniel Martin" in page.text
    assert REASON in page.text
    assert "break-glass" in page.text
    admin_page = client.get(reverse("admin:monitoring_breakglassgrant_changelist"))
    assert REASON in admin_page.text
