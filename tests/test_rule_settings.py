"""Clinics tune their rules in the admin: each change is a new version, audited with who and
why, and alerts remember the version and parameters they used."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from monitoring import services
from monitoring.models import Alert, RuleSetting
from monitoring.rules import REGISTRY
from tests.factories import UserFactory


@pytest.fixture
def admin_user(clinic):
    return UserFactory(
        username="root", role="admin", is_staff=True, is_superuser=True, clinics=[clinic]
    )


def test_every_registered_rule_gets_a_setting_row_for_the_clinic(clinic):
    created = services.ensure_rule_settings(clinic=clinic)

    assert created == len(REGISTRY)
    assert services.ensure_rule_settings(clinic=clinic) == 0  # idempotent
    row = RuleSetting.objects.get(clinic=clinic, code="trough-urgent-high")
    assert row.params == {"above": "15"}


def test_changing_a_rule_in_the_admin_needs_a_reason_and_bumps_the_version(
    client, admin_user, clinic
):
    services.ensure_rule_settings(clinic=clinic)
    row = RuleSetting.objects.get(clinic=clinic, code="trough-urgent-high")
    client.force_login(admin_user)
    url = reverse("admin:monitoring_rulesetting_change", args=[row.pk])
    data = {"is_enabled": "on", "severity": "30", "params": '{"above": "12"}'}

    refused = client.post(url, {**data, "reason": ""})
    client.post(url, {**data, "reason": "Clinic protocol: urgent above 12 ng/mL"})

    assert refused.status_code == 200  # the form comes back with its error
    row.refresh_from_db()
    assert row.version == 2
    assert row.params == {"above": "12"}
    latest = row.history.first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "Clinic protocol: urgent above 12 ng/mL"


def test_an_unknown_parameter_is_refused(clinic, doctor):
    services.ensure_rule_settings(clinic=clinic)
    row = RuleSetting.objects.get(clinic=clinic, code="trough-urgent-high")

    with pytest.raises(ValidationError, match="Unknown parameter"):
        services.update_rule_setting(
            setting=row,
            user=doctor,
            reason="test",
            is_enabled=True,
            severity=30,
            params={"abov": "12"},
        )

    row.refresh_from_db()
    assert row.version == 1


def test_an_alert_records_the_rule_version_and_parameters_it_used(
    clinic, doctor, patient_a, record_trough
):
    services.ensure_rule_settings(clinic=clinic)
    row = RuleSetting.objects.get(clinic=clinic, code="trough-urgent-high")
    services.update_rule_setting(
        setting=row,
        user=doctor,
        reason="Clinic protocol",
        is_enabled=True,
        severity=30,
        params={"above": "12"},
    )

    record_trough(patient_a, "13")

    alert = Alert.objects.get(rule_code="trough-urgent-high")
    assert alert.rule_version == 2
    assert alert.params == {"above": "12"}
    assert Decimal(alert.params["above"]) == 12
