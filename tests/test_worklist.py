"""The doctor's worklist: open alerts of their clinics, most severe first, then oldest."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.context_processors import alert_counts
from monitoring.models import Alert, Decision, Severity
from monitoring.views.alerts import PAGE_SIZE
from tests.factories import AlertFactory, PatientFactory

URL = reverse("monitoring:worklist")


def test_it_lists_urgent_alerts_first_then_the_oldest(
    client, doctor, clinic, patient_a, patient_b, record_trough
):
    now = timezone.now()
    patient_c = PatientFactory(clinic=clinic, first_name="Chloe", last_name="Bernard")
    with time_machine.travel(now - dt.timedelta(days=2)):
        record_trough(patient_a, "5.0")
    with time_machine.travel(now - dt.timedelta(days=3)):
        record_trough(patient_b, "9.0")
    with time_machine.travel(now - dt.timedelta(days=1)):
        record_trough(patient_c, "16")
    client.force_login(doctor)

    page = client.get(URL).text

    positions = [page.index(name) for name in ["Chloe Bernard", "Bruno Lefebvre", "Alice Durand"]]
    assert positions == sorted(positions)


def test_it_shows_the_patient_the_value_and_the_rule_message(
    client, doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.3")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Alice Durand" in page
    assert "5.3 ng/mL" in page
    assert "Tacrolimus trough 5.3 ng/mL is below the target 6–8 ng/mL (subtherapeutic)" in page


def test_it_leaves_out_info_alerts(client, doctor, patient_a):
    AlertFactory(patient=patient_a, severity=Severity.INFO, message="Trough drawn late")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Trough drawn late" not in page
    assert "No open alerts" in page


def test_it_leaves_out_alerts_of_other_clinics(client, doctor, patient_other, record_trough):
    record_trough(patient_other, "16")
    client.force_login(doctor)

    page = client.get(URL).text

    assert "Garnier" not in page
    assert "No open alerts" in page


def test_its_query_count_does_not_grow_with_the_number_of_alerts(
    client, doctor, clinic, record_trough, django_assert_num_queries
):
    for value in ["5.0", "16"]:
        record_trough(PatientFactory(clinic=clinic), value)
    client.force_login(doctor)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for value in ["5.0", "9.0", "16"] * 6:
        record_trough(PatientFactory(clinic=clinic), value)

    with django_assert_num_queries(len(few)):
        response = client.get(URL)

    assert response.text.count("Acknowledge</button>") == 20


# --- Filters -------------------------------------------------------------------------------


def rows(page: str) -> str:
    """The table body of the worklist (the filter form lists rule names too)."""
    return page[page.index("<tbody>") : page.index("</tbody>")]


def test_info_alerts_show_when_the_severity_filter_asks_for_them(client, doctor, patient_a):
    AlertFactory(patient=patient_a, severity=Severity.INFO, message="Trough drawn late")
    client.force_login(doctor)

    page = client.get(URL, {"severity": Severity.INFO}).text

    assert "Trough drawn late" in rows(page)


def test_the_severity_filter_is_a_minimum(client, doctor, patient_a):
    for severity in [Severity.WARNING, Severity.URGENT, Severity.CRITICAL]:
        AlertFactory(patient=patient_a, severity=severity, message=f"Level {severity.label}")
    client.force_login(doctor)

    page = rows(client.get(URL, {"severity": Severity.URGENT}).text)

    assert "Level Urgent" in page
    assert "Level Critical" in page
    assert "Level Warning" not in page


def test_it_filters_by_rule(client, doctor, patient_a, patient_b, record_trough):
    record_trough(patient_a, "5.0")
    record_trough(patient_b, "9.0")
    client.force_login(doctor)

    page = rows(client.get(URL, {"rule": "trough-above-target"}).text)

    assert "Bruno Lefebvre" in page
    assert "Alice Durand" not in page


def test_it_filters_by_clinic(client, doctor, patient_a, patient_other, record_trough):
    doctor.clinics.add(patient_other.clinic)
    record_trough(patient_a, "5.0")
    record_trough(patient_other, "5.0")
    client.force_login(doctor)

    page = rows(client.get(URL, {"clinic": patient_other.clinic.pk}).text)

    assert "David Garnier" in page
    assert "Alice Durand" not in page


def test_a_clinic_that_is_not_the_doctors_is_refused_not_shown(
    client, doctor, patient_other, record_trough
):
    record_trough(patient_other, "5.0")
    client.force_login(doctor)

    page = client.get(URL, {"clinic": patient_other.clinic.pk}).text

    assert "Some filters were not understood" in page
    assert "Garnier" not in page


@pytest.mark.parametrize("search", ["alice", "DUR", "alice durand", "DR-1001"])
def test_it_finds_a_patient_by_name_or_mrn(
    client, doctor, patient_a, patient_b, record_trough, search
):
    record_trough(patient_a, "5.0")
    record_trough(patient_b, "5.0")
    client.force_login(doctor)

    page = rows(client.get(URL, {"patient": search}).text)

    assert "Alice Durand" in page
    assert "Bruno Lefebvre" not in page


def test_it_lists_acknowledged_alerts_when_asked(client, doctor, patient_a, record_trough):
    record_trough(patient_a, "5.0")
    alert = patient_a.alerts.get(rule_code="trough-below-target")
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose increased")
    client.force_login(doctor)

    open_page = rows(client.get(URL).text)
    acknowledged_page = rows(client.get(URL, {"status": "acknowledged"}).text)

    assert "Alice Durand" not in open_page
    assert "Alice Durand" in acknowledged_page
    assert "Acknowledged by Daniel Martin" in acknowledged_page
    assert "Dose increased" in acknowledged_page


def test_it_lists_resolved_alerts_when_asked(client, doctor, patient_a, record_trough):
    record_trough(patient_a, "5.0")
    record_trough(patient_a, "7.0")  # back in range: resolves the alert
    client.force_login(doctor)

    page = rows(client.get(URL, {"status": "resolved"}).text)

    assert "Alice Durand" in page
    assert "Resolved by a later result" in page


@pytest.mark.parametrize(
    "query", [{"severity": "99"}, {"rule": "drop table"}, {"status": "deleted"}, {"clinic": "x"}]
)
def test_a_filter_value_it_does_not_know_is_left_out(
    client, doctor, patient_a, record_trough, query
):
    record_trough(patient_a, "5.0")
    client.force_login(doctor)

    response = client.get(URL, query)

    assert response.status_code == 200
    assert "Some filters were not understood" in response.text
    assert "Alice Durand" in rows(response.text)


def test_the_pages_keep_the_filters(client, doctor, patient_a, patient_b):
    for n in range(PAGE_SIZE + 5):
        AlertFactory(
            patient=patient_a,
            rule_code="trough-above-target",
            subject=f"s{n}",
            severity=Severity.WARNING,
            message=f"Alert number {n:03d}",
            first_raised_at=timezone.now() - dt.timedelta(hours=n),
        )
    AlertFactory(patient=patient_b, rule_code="trough-below-target", severity=Severity.URGENT)
    client.force_login(doctor)

    first = client.get(URL, {"rule": "trough-above-target", "patient": "alice"}).text
    second_url = re.search(r'href="(\?[^"]*page=2[^"]*)"', first).group(1)
    second = client.get(URL + unescape(second_url)).text

    assert "rule=trough-above-target" in second_url
    assert "patient=alice" in second_url
    # Oldest first: the five newest (0 to 4) are left for page 2.
    assert "Alert number 054" in rows(first)
    assert "Alert number 004" not in rows(first)
    assert [f"Alert number {n:03d}" in rows(second) for n in range(5)] == [True] * 5
    assert "Bruno Lefebvre" not in rows(first) + rows(second)


def test_its_query_count_does_not_grow_with_the_alerts_when_filtered(
    client, doctor, clinic, django_assert_num_queries
):
    query = {"severity": Severity.INFO, "clinic": clinic.pk, "patient": "a", "rule": ""}
    AlertFactory(patient=PatientFactory(clinic=clinic), severity=Severity.INFO)
    client.force_login(doctor)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, query)
    for severity in list(Severity) * 5:
        AlertFactory(patient=PatientFactory(clinic=clinic), severity=severity)

    with django_assert_num_queries(len(few)):
        response = client.get(URL, query)

    assert response.text.count('name="alerts"') == 6


# --- Acknowledging from the worklist -------------------------------------------------------


def test_a_quick_acknowledgement_returns_to_the_filtered_worklist(
    client, doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.0")
    alert = patient_a.alerts.get(rule_code="trough-below-target")
    client.force_login(doctor)

    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {
            "comment": "Level drawn late",
            "decision": "no-change",
            "next": "worklist",
            "filters": "severity=20&patient=alice",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == URL + "?severity=20&patient=alice"
    alert.refresh_from_db()
    assert alert.decision == Decision.NO_CHANGE


def test_the_filters_sent_back_cannot_send_the_doctor_elsewhere(
    client, doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.0")
    alert = patient_a.alerts.get(rule_code="trough-below-target")
    client.force_login(doctor)

    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {"comment": "Seen", "next": "worklist", "filters": "//evil.example/?a=1"},
    )

    assert response["Location"].startswith(URL + "?")


def test_a_refused_quick_acknowledgement_names_the_patient(
    client, doctor, patient_a, record_trough
):
    record_trough(patient_a, "5.0")
    alert = patient_a.alerts.get(rule_code="trough-below-target")
    client.force_login(doctor)

    response = client.post(
        reverse("monitoring:alert_acknowledge", args=[alert.pk]),
        {"comment": "", "next": "worklist"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == URL
    assert "Not acknowledged for Alice Durand: Say what you decided" in response.text
    alert.refresh_from_db()
    assert alert.is_open


# --- Bulk acknowledgement of info alerts ---------------------------------------------------

BULK_URL = reverse("monitoring:alert_bulk_acknowledge")


def test_info_alerts_are_acknowledged_together(client, doctor, patient_a, patient_b):
    infos = [AlertFactory(patient=p, severity=Severity.INFO) for p in (patient_a, patient_b)]
    client.force_login(doctor)

    response = client.post(
        BULK_URL,
        {"alerts": [a.pk for a in infos], "comment": "Noted", "filters": "severity=10"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == URL + "?severity=10"
    assert "Acknowledged 2 info alerts." in response.text
    for alert in infos:
        alert.refresh_from_db()
        assert alert.status == Alert.Status.ACKNOWLEDGED
        assert alert.acknowledged_by == doctor
        assert alert.acknowledgement_comment == "Noted"


def test_the_worklist_offers_ticks_only_for_info_alerts(client, doctor, patient_a):
    info = AlertFactory(patient=patient_a, severity=Severity.INFO)
    warning = AlertFactory(patient=patient_a, severity=Severity.WARNING)
    client.force_login(doctor)

    page = client.get(URL, {"severity": Severity.INFO}).text

    assert f'name="alerts" value="{info.pk}"' in page
    assert f'name="alerts" value="{warning.pk}"' not in page


def test_a_bulk_acknowledgement_with_a_non_info_alert_acknowledges_nothing(
    client, doctor, patient_a
):
    info = AlertFactory(patient=patient_a, severity=Severity.INFO)
    warning = AlertFactory(patient=patient_a, severity=Severity.WARNING)
    client.force_login(doctor)

    response = client.post(
        BULK_URL, {"alerts": [info.pk, warning.pk], "comment": "Noted"}, follow=True
    )

    assert "Nothing acknowledged: Only info alerts can be acknowledged together" in response.text
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == 2


def test_a_bulk_acknowledgement_needs_a_comment(client, doctor, patient_a):
    info = AlertFactory(patient=patient_a, severity=Severity.INFO)
    client.force_login(doctor)

    response = client.post(BULK_URL, {"alerts": [info.pk], "comment": " "}, follow=True)

    assert "Nothing acknowledged: Say what you decided" in response.text
    info.refresh_from_db()
    assert info.is_open


def test_a_bulk_acknowledgement_cannot_reach_another_clinic(
    client, doctor, patient_a, patient_other
):
    mine = AlertFactory(patient=patient_a, severity=Severity.INFO)
    theirs = AlertFactory(patient=patient_other, severity=Severity.INFO)
    client.force_login(doctor)

    response = client.post(
        BULK_URL, {"alerts": [mine.pk, theirs.pk], "comment": "Noted"}, follow=True
    )

    assert "Nothing acknowledged" in response.text
    assert "Garnier" not in response.text
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == 2


@pytest.mark.parametrize(("user", "status"), [("nurse", 403), ("doctor_other", 302)])
def test_only_the_doctors_of_the_clinic_can_bulk_acknowledge(
    client, request, patient_a, user, status
):
    info = AlertFactory(patient=patient_a, severity=Severity.INFO)
    client.force_login(request.getfixturevalue(user))

    response = client.post(BULK_URL, {"alerts": [info.pk], "comment": "Noted"})

    assert response.status_code == status
    info.refresh_from_db()
    assert info.is_open


def test_bulk_acknowledgement_needs_a_post(client, doctor):
    client.force_login(doctor)

    assert client.get(BULK_URL).status_code == 405


# --- Open alert counts in the navigation ---------------------------------------------------


def nav(page: str) -> str:
    return page[page.index("<nav") : page.index("</nav>")]


def test_the_navigation_counts_a_doctors_open_alerts_per_severity(
    client, doctor, patient_a, patient_other
):
    for severity, count in [(Severity.CRITICAL, 1), (Severity.URGENT, 2), (Severity.WARNING, 3)]:
        for _ in range(count):
            AlertFactory(patient=patient_a, severity=severity)
    AlertFactory(patient=patient_a, severity=Severity.INFO)
    AlertFactory(patient=patient_other, severity=Severity.CRITICAL)  # another clinic
    closed = AlertFactory(patient=patient_a, severity=Severity.CRITICAL)
    services.acknowledge_alert(alert=closed, user=doctor, comment="Seen")
    client.force_login(doctor)

    page = nav(client.get(reverse("monitoring:patient_list")).text)

    assert '1<span class="visually-hidden"> critical</span>' in page
    assert '2<span class="visually-hidden"> urgent</span>' in page
    assert '3<span class="visually-hidden"> warning</span>' in page
    assert "info</span>" not in page


def test_the_navigation_counts_cost_one_query_whatever_the_number_of_alerts(
    rf, doctor, clinic, django_assert_num_queries
):
    for severity in list(Severity) * 3:
        AlertFactory(patient=PatientFactory(clinic=clinic), severity=severity)
    request = rf.get("/")
    request.user = doctor

    with django_assert_num_queries(1):
        context = alert_counts(request)

    assert [(c["label"], c["count"]) for c in context["nav_alert_counts"]] == [
        ("critical", 3),
        ("urgent", 3),
        ("warning", 3),
    ]


@pytest.mark.parametrize("user", ["nurse", "family", "anonymous"])
def test_nobody_but_doctors_gets_counts_or_queries(
    rf, request, patient_a, django_assert_num_queries, user
):
    AlertFactory(patient=patient_a, severity=Severity.CRITICAL)
    page_request = rf.get("/")
    page_request.user = AnonymousUser() if user == "anonymous" else request.getfixturevalue(user)

    with django_assert_num_queries(0):
        assert alert_counts(page_request) == {}


def test_a_nurse_sees_no_counts_in_the_navigation(client, nurse, patient_a):
    AlertFactory(patient=patient_a, severity=Severity.CRITICAL)
    client.force_login(nurse)

    response = client.get(reverse("monitoring:patient_list"))

    assert "nav_alert_counts" not in response.context
    assert "critical</span>" not in nav(response.text)
