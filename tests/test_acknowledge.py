"""The alert page: the alert in full, acknowledging it with a decision, silencing its rule."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from monitoring import services
from monitoring.models import Alert, Decision, RuleSuppression
from tests.factories import AlertFactory

RULE = "trough-above-target"


@pytest.fixture
def alert(patient_a, record_trough):
    """Alice's trough above target, raised twice: 9 then 9.4 ng/mL."""
    record_trough(patient_a, "9.0")
    record_trough(patient_a, "9.4")
    return patient_a.alerts.get(rule_code=RULE)


def page_url(alert):
    return reverse("monitoring:alert_acknowledge", args=[alert.pk])


def suppress_url(alert):
    return reverse("monitoring:alert_suppress", args=[alert.pk])


def acknowledge(client, alert, **data):
    return client.post(page_url(alert), data)


def suppress(client, alert, **data):
    return client.post(suppress_url(alert), data)


def start_regimen(patient, doctor):
    return services.start_regimen(
        patient=patient,
        product="Prograf",
        strength_mg=Decimal("0.5"),
        morning_dose_mg=Decimal("1.5"),
        evening_dose_mg=Decimal("1.5"),
        started_on=timezone.localdate(),
        reason="Trough above target",
        prescriber=doctor,
        entered_by=doctor,
    )


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [page_url, suppress_url])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, alert, url):
    response = client.post(url(alert), {"comment": "Seen", "days": 5, "reason": "Known"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    alert.refresh_from_db()
    assert alert.is_open


@pytest.mark.parametrize("user", ["nurse", "family", "patient"])
@pytest.mark.parametrize("url", [page_url, suppress_url])
def test_only_doctors_may_review_an_alert(client, request, alert, patient_a, user, url):
    visitor = patient_a.user if user == "patient" else request.getfixturevalue(user)
    client.force_login(visitor)

    response = client.post(url(alert), {"comment": "Seen", "days": 5, "reason": "Known"})

    assert response.status_code == 403
    assert "Alice" not in response.text
    alert.refresh_from_db()
    assert alert.is_open
    assert not RuleSuppression.objects.exists()


def test_a_doctor_of_another_clinic_cannot_open_the_alert(client, doctor_other, alert):
    client.force_login(doctor_other)

    response = client.get(page_url(alert))

    assert response.status_code == 404
    assert "Durand" not in response.text


@pytest.mark.parametrize("url", [page_url, suppress_url])
def test_a_doctor_of_another_clinic_cannot_act_on_the_alert(client, doctor_other, alert, url):
    client.force_login(doctor_other)

    response = client.post(url(alert), {"comment": "Seen", "days": 5, "reason": "Known"})

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.is_open
    assert not RuleSuppression.objects.exists()


def test_silencing_needs_a_post(client, doctor, alert):
    client.force_login(doctor)

    assert client.get(suppress_url(alert)).status_code == 405


# --- The page ------------------------------------------------------------------------------


def test_the_page_shows_the_alert_in_full(client, doctor, alert):
    client.force_login(doctor)

    page = client.get(page_url(alert)).text

    assert "Alice Durand" in page
    assert "DR-1001" in page
    assert "9.4 ng/mL" in page  # latest value
    assert "9 ng/mL" in page  # first value
    assert "Tacrolimus trough above target (supratherapeutic)" in page  # the rule's name
    assert escape(alert.source) in page
    assert "<dt>Occurrences</dt>\n        <dd>2" in page


def test_the_page_shows_the_grade_and_stage(client, doctor, patient_a):
    graded = AlertFactory(patient=patient_a, grade=2, stage=1)
    client.force_login(doctor)

    page = client.get(page_url(graded)).text

    assert "<dt>CTCAE grade</dt><dd>2</dd>" in page
    assert "<dt>KDIGO stage</dt><dd>1</dd>" in page


def test_the_worklist_row_links_to_the_page(client, doctor, alert):
    client.force_login(doctor)

    page = client.get(reverse("monitoring:worklist")).text

    assert f'href="{page_url(alert)}">Review' in page


def test_an_acknowledged_alert_shows_the_decision_and_no_form(client, doctor, alert):
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced")
    client.force_login(doctor)

    page = client.get(page_url(alert)).text

    assert "Acknowledged by Daniel Martin" in page
    assert "Dose reduced" in page
    assert 'name="comment"' not in page


# --- Acknowledging with a decision ---------------------------------------------------------


def test_a_doctor_acknowledges_with_no_change_and_the_reason(client, doctor, alert):
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="Drawn 2 h late", decision="no-change")

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:worklist")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.decision == Decision.NO_CHANGE
    assert alert.acknowledgement_comment == "Drawn 2 h late"


def test_a_repeat_test_is_recorded_with_its_due_date(client, doctor, alert):
    due = timezone.localdate() + dt.timedelta(days=7)
    client.force_login(doctor)

    response = acknowledge(
        client, alert, comment="Recheck", decision="repeat-test", repeat_due_on=due.isoformat()
    )

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.decision == Decision.REPEAT_TEST
    assert alert.repeat_due_on == due


@pytest.mark.parametrize("due", ["", "2020-01-01"])
def test_a_repeat_test_without_a_due_date_is_refused_on_the_page(client, doctor, alert, due):
    client.force_login(doctor)

    response = acknowledge(
        client, alert, comment="Recheck", decision="repeat-test", repeat_due_on=due
    )

    assert response.status_code == 200
    assert "Give the date the repeat test is due." in response.text
    alert.refresh_from_db()
    assert alert.is_open


def test_a_due_date_that_is_not_a_date_is_refused(client, doctor, alert):
    client.force_login(doctor)

    response = acknowledge(
        client, alert, comment="Recheck", decision="repeat-test", repeat_due_on="next week"
    )

    assert "Enter a real date" in response.text
    alert.refresh_from_db()
    assert alert.is_open


def test_a_dose_change_needs_the_new_regimen_first(client, doctor, alert):
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="Dose reduced", decision="dose-changed")

    assert response.status_code == 200
    assert "Record the new regimen first" in response.text
    alert.refresh_from_db()
    assert alert.is_open


def test_a_dose_change_links_the_regimen_started_since_the_alert(client, doctor, alert, patient_a):
    regimen = start_regimen(patient_a, doctor)
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="Dose reduced", decision="dose-changed")

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.decision == Decision.DOSE_CHANGED
    assert alert.decision_regimen == regimen


def test_a_dose_change_refused_from_the_patient_page_says_why_there(
    client, doctor, alert, patient_a
):
    client.force_login(doctor)

    response = client.post(
        page_url(alert),
        {"comment": "Dose reduced", "decision": "dose-changed", "next": "patient"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "monitoring:patient_detail", args=[patient_a.pk]
    )
    assert "Not acknowledged for Alice Durand: Record the new regimen first" in response.text


@pytest.mark.parametrize("decision", ["maybe", "acknowledged"])
def test_an_unknown_decision_is_refused(client, doctor, alert, decision):
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="Seen", decision=decision)

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    alert.refresh_from_db()
    assert alert.is_open


def test_a_decision_without_a_comment_is_refused(client, doctor, alert):
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="  ", decision="no-change")

    assert "Say what you decided before acknowledging." in response.text
    alert.refresh_from_db()
    assert alert.is_open


def test_an_alert_acknowledged_meanwhile_says_so_on_the_page(client, doctor, alert):
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced")
    client.force_login(doctor)

    response = acknowledge(client, alert, comment="Also seen", decision="no-change")

    assert "Not acknowledged: This alert was already acknowledged." in response.text
    alert.refresh_from_db()
    assert alert.acknowledgement_comment == "Dose reduced"


# --- Silencing the rule for the patient ----------------------------------------------------


def test_a_doctor_silences_the_rule_for_the_patient(client, doctor, alert, patient_a):
    client.force_login(doctor)
    moment = timezone.now().replace(microsecond=0)

    with time_machine.travel(moment, tick=False):
        response = suppress(client, alert, days=30, reason="Known; dose reduced yesterday")

    assert response.status_code == 302
    assert response["Location"] == page_url(alert)
    suppression = RuleSuppression.objects.get()
    assert suppression.patient == patient_a
    assert suppression.rule_code == RULE
    assert suppression.until == moment + dt.timedelta(days=30)
    assert suppression.created_by == doctor
    assert suppression.reason == "Known; dose reduced yesterday"
    page = client.get(page_url(alert)).text
    assert "is silenced for Alice Durand until" in page
    assert "This alert stays open" in page


def test_a_silenced_rule_raises_no_alert_until_the_silence_ends(
    client, doctor, alert, patient_a, record_trough
):
    client.force_login(doctor)
    suppress(client, alert, days=30, reason="Known; dose reduced yesterday")
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced")

    record_trough(patient_a, "9.0")

    assert not patient_a.alerts.filter(rule_code=RULE, status=Alert.Status.OPEN).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        record_trough(patient_a, "9.0")
        assert patient_a.alerts.filter(rule_code=RULE, status=Alert.Status.OPEN).exists()


def test_silencing_one_patient_leaves_the_others_alerting(
    client, doctor, alert, patient_b, record_trough
):
    client.force_login(doctor)
    suppress(client, alert, days=30, reason="Known")

    record_trough(patient_b, "9.0")

    assert patient_b.alerts.filter(rule_code=RULE, status=Alert.Status.OPEN).exists()


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        ("0", "Known", "Silence for at least 1 day."),
        ("91", "Known", "Silence for at most 90 days."),
        ("ten", "Known", "Enter a whole number."),
        ("", "Known", "Say for how many days."),
        ("30", "  ", "Give the reason for silencing this rule."),
    ],
)
def test_a_silence_without_a_valid_length_or_a_reason_is_refused(
    client, doctor, alert, days, reason, message
):
    client.force_login(doctor)

    response = suppress(client, alert, days=days, reason=reason)

    assert response.status_code == 200
    assert message in response.text
    assert not RuleSuppression.objects.exists()


def test_an_alert_of_no_registered_rule_offers_no_silence(client, doctor, patient_a):
    unknown = AlertFactory(patient=patient_a)
    client.force_login(doctor)

    page = client.get(page_url(unknown)).text
    response = suppress(client, unknown, days=5, reason="Known")

    assert suppress_url(unknown) not in page
    assert "Unknown rule." in response.text
    assert not RuleSuppression.objects.exists()


def test_the_patient_page_shows_the_active_silences(client, doctor, alert, patient_a):
    client.force_login(doctor)
    suppress(client, alert, days=30, reason="Known; dose reduced yesterday")
    services.acknowledge_alert(alert=alert, user=doctor, comment="Dose reduced")

    page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    card = page[page.index("Open alerts") : page.index("</ul>", page.index("Open alerts"))]
    until = timezone.localtime(RuleSuppression.objects.get().until)
    assert (
        f"silenced until {until:%d %b %Y %H:%M} by Daniel Martin: Known; dose reduced yesterday"
    ) in card
    assert "Tacrolimus trough above target (supratherapeutic)" in card


def test_an_ended_silence_leaves_the_patient_page(client, doctor, alert, patient_a):
    client.force_login(doctor)
    suppress(client, alert, days=1, reason="Known")

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        client.force_login(doctor)
        page = client.get(reverse("monitoring:patient_detail", args=[patient_a.pk])).text

    assert "silenced until" not in page


def test_a_trough_alert_shows_the_dose_suggestion_beside_the_decision(
    client, doctor, patient_a, record_trough
):
    services.record_weight(
        patient=patient_a,
        weight_kg=Decimal("60"),
        measured_on=timezone.localdate(),
        entered_by=doctor,
    )
    services.start_regimen(
        patient=patient_a,
        product="Prograf",
        strength_mg=Decimal("0.5"),
        morning_dose_mg=Decimal("3"),
        evening_dose_mg=Decimal("3"),
        started_on=timezone.localdate() - dt.timedelta(days=20),
        reason="Induction",
        prescriber=doctor,
        entered_by=doctor,
    )
    sampled = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    record_trough(patient_a, "10", at=sampled, last_dose_at=sampled - dt.timedelta(hours=12))
    alert = Alert.objects.get(rule_code="trough-above-target")
    client.force_login(doctor)

    page = client.get(reverse("monitoring:alert_acknowledge", args=[alert.pk])).text

    # 6 mg/day × 7 / 10 = 4.2 → 2 mg twice daily with 0.5 mg capsules (A2, §3.4)
    assert "Suggested: Prograf 2 mg morning + 2 mg evening = 4 mg/day" in page
    assert "Prepare this regimen" in page
