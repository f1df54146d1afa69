"""The clinic dashboard: time to acknowledge per doctor and per rule, open alerts now."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Alert, Role, Severity
from monitoring.templatetags.monitoring_tags import duration
from tests.factories import AlertFactory, PatientFactory, UserFactory

URL = reverse("monitoring:dashboard")
ABOVE, BELOW = "trough-above-target", "trough-below-target"


def acknowledged(patient, rule_code, by, waited, *, ago=dt.timedelta(days=1)):
    """An alert `by` acknowledged `ago`, `waited` after it was first raised."""
    alert = AlertFactory(patient=patient, rule_code=rule_code, severity=Severity.WARNING)
    acknowledged_at = timezone.now() - ago
    Alert.objects.filter(pk=alert.pk).update(
        status=Alert.Status.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=acknowledged_at,
        first_raised_at=acknowledged_at - waited,
    )
    return alert


@pytest.fixture
def colleague(clinic):
    return UserFactory(
        username="claire",
        first_name="Claire",
        last_name="Petit",
        role=Role.DOCTOR,
        clinics=[clinic],
    )


@pytest.fixture
def history(doctor, colleague, doctor_other, patient_a, patient_b, patient_other):
    hours = dt.timedelta(hours=1)
    for waited in [1 * hours, 2 * hours, 6 * hours]:
        acknowledged(patient_a, ABOVE, doctor, waited)
    for waited in [dt.timedelta(minutes=30), dt.timedelta(minutes=90)]:
        acknowledged(patient_b, BELOW, colleague, waited)
    # Outside the 180-day window, and in another clinic: neither counts.
    acknowledged(patient_a, ABOVE, doctor, 100 * hours, ago=dt.timedelta(days=200))
    acknowledged(patient_other, ABOVE, doctor_other, 100 * hours)


def test_it_gives_the_median_time_to_acknowledge_per_doctor(client, doctor, history):
    client.force_login(doctor)

    response = client.get(URL)

    assert response.context["by_doctor"] == [
        {"label": "Claire Petit", "count": 2, "median": dt.timedelta(hours=1)},
        {"label": "Daniel Martin", "count": 3, "median": dt.timedelta(hours=2)},
    ]


def test_it_gives_the_median_time_to_acknowledge_per_rule(client, doctor, history):
    client.force_login(doctor)

    response = client.get(URL)

    assert response.context["by_rule"] == [
        {
            "label": "Tacrolimus trough above target (supratherapeutic)",
            "count": 3,
            "median": dt.timedelta(hours=2),
        },
        {
            "label": "Tacrolimus trough below target (subtherapeutic)",
            "count": 2,
            "median": dt.timedelta(hours=1),
        },
    ]
    assert "<td>Tacrolimus trough above target (supratherapeutic)</td>" in response.text
    assert '<td class="text-end value">2 h</td>' in response.text


def test_a_doctor_of_another_clinic_sees_only_their_clinic(client, doctor_other, history):
    client.force_login(doctor_other)

    response = client.get(URL)

    assert response.context["by_doctor"] == [
        {"label": doctor_other.display_name, "count": 1, "median": dt.timedelta(hours=100)}
    ]
    assert "Daniel Martin" not in response.text.split("</nav>", 1)[1]


def test_it_counts_the_open_alerts_per_severity(client, doctor, patient_a, patient_other):
    for severity, count in [(Severity.CRITICAL, 1), (Severity.WARNING, 2), (Severity.INFO, 3)]:
        for _ in range(count):
            AlertFactory(patient=patient_a, severity=severity)
    AlertFactory(patient=patient_other, severity=Severity.URGENT)
    client.force_login(doctor)

    response = client.get(URL)

    assert [(row["severity"], row["count"]) for row in response.context["open_counts"]] == [
        (Severity.CRITICAL, 1),
        (Severity.URGENT, 0),
        (Severity.WARNING, 2),
        (Severity.INFO, 3),
    ]


def test_with_nothing_acknowledged_it_says_so(client, doctor):
    client.force_login(doctor)

    page = client.get(URL).text

    assert page.count("No alert acknowledged in the last 180 days.") == 2


def test_the_navigation_links_doctors_to_the_dashboard(client, doctor, nurse):
    client.force_login(doctor)
    assert f'href="{URL}"' in client.get(reverse("monitoring:worklist")).text

    client.force_login(nurse)
    assert f'href="{URL}"' not in client.get(reverse("monitoring:patient_list")).text


def test_its_query_count_does_not_grow_with_the_alerts(
    client, doctor, colleague, clinic, django_assert_num_queries
):
    acknowledged(PatientFactory(clinic=clinic), ABOVE, doctor, dt.timedelta(hours=1))
    client.force_login(doctor)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(10):
        by = doctor if n % 2 else colleague
        acknowledged(PatientFactory(clinic=clinic), BELOW, by, dt.timedelta(hours=n))
        AlertFactory(patient=PatientFactory(clinic=clinic), severity=Severity.CRITICAL)

    with django_assert_num_queries(len(few)):
        response = client.get(URL)

    assert sum(row["count"] for row in response.context["by_doctor"]) == 11


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("user", ["nurse", "family", "patient"])
def test_only_doctors_see_the_dashboard(client, request, patient_a, user):
    client.force_login(patient_a.user if user == "patient" else request.getfixturevalue(user))

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("waited", "shown"),
    [
        (dt.timedelta(minutes=45), "45 min"),
        (dt.timedelta(hours=3), "3 h"),
        (dt.timedelta(hours=3, minutes=20), "3 h 20 min"),
        (dt.timedelta(hours=47, minutes=59), "47 h 59 min"),
        (dt.timedelta(days=2, hours=4), "2 d 4 h"),
        (dt.timedelta(days=9), "9 d"),
    ],
)
def test_a_wait_reads_as_people_say_it(waited, shown):
    assert duration(waited) == shown
