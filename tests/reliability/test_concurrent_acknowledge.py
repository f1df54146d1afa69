"""Two doctors acknowledging the same alert at the same moment: one acknowledgement, and the
other doctor is told the alert was already acknowledged."""

import pytest
from django.core.exceptions import ValidationError

from monitoring import services
from monitoring.models import Alert, Decision, Role
from tests.factories import UserFactory

from .threads import run_together

# Threads need committed data, and the catalogues back after the flush of the previous
# transactional test.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_doctors_acknowledging_at_once_make_one_acknowledgement(
    patient_a, record_trough, doctor, clinic
):
    record_trough(patient_a, "9.4")  # above the 4-8 ng/mL default target: an alert
    alert = patient_a.alerts.get(rule_code="trough-above-target")
    colleague = UserFactory(username="doctor-b", role=Role.DOCTOR, clinics=[clinic])

    def acknowledge(user, comment):
        return lambda: services.acknowledge_alert(
            alert=alert, user=user, comment=comment, decision=Decision.NO_CHANGE
        )

    outcomes = run_together(
        [acknowledge(doctor, "Seen by Dr Martin"), acknowledge(colleague, "Seen by Dr B")]
    )

    saved = [outcome for outcome in outcomes if outcome.error is None]
    refused = [outcome for outcome in outcomes if outcome.error is not None]
    assert len(saved) == 1, [outcome.error for outcome in outcomes]
    assert len(refused) == 1
    assert isinstance(refused[0].error, ValidationError), repr(refused[0].error)
    assert refused[0].error.messages == ["This alert was already acknowledged."]
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert (alert.acknowledged_by, alert.acknowledgement_comment) == (
        saved[0].value.acknowledged_by,
        saved[0].value.acknowledgement_comment,
    )
    acknowledgements = alert.history.filter(history_change_reason__startswith="Acknowledged")
    assert acknowledgements.count() == 1
