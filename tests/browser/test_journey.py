"""The whole loop in a real browser (issue #5 §6): a nurse records a panel, the doctor
acknowledges the alert with a dose change, the patient sees the new point in French, invites a
family member, who views the chart until the patient revokes the share."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from monitoring.models import Alert, Regimen
from tests.browser.conftest import axe_violations, log_in, screenshot

# Committed for real, so that the live server sees it (conftest restores the catalogues).
pytestmark = pytest.mark.django_db(transaction=True)


def chart_points(page) -> int:
    """Trough markers plotly drew as SVG paths in the top panel (the dose is the xy2 panel)."""
    points = page.locator("#trough-chart .cartesianlayer .subplot.xy .scatterlayer .point")
    points.first.wait_for()
    return points.count()


def test_a_trough_goes_from_the_nurse_to_the_doctor_to_the_patient_and_family(
    open_page, nurse, doctor, patient_a, start_regimen, record_trough
):
    start_regimen(patient_a, timezone.localdate() - dt.timedelta(days=60))
    record_trough(patient_a, "7.0", at=timezone.now() - dt.timedelta(days=20))
    drawn_at = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=1)

    # The nurse records this morning's panel: the trough is high.
    page, console = open_page()
    log_in(page, "nurse")
    page.goto("/draws/new/")
    page.get_by_label("Patient").select_option(str(patient_a.pk))
    page.get_by_label("Draw time").fill(drawn_at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Last tacrolimus dose").fill(
        (drawn_at - dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label(re.compile(r"^Tacrolimus")).first.fill("11.2")
    page.get_by_label(re.compile(r"^Creatinine")).first.fill("80")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_load_state("networkidle")
    assert "above the target" in page.content()
    assert console.errors == []

    # The doctor finds it on the worklist, records a lower dose and acknowledges.
    page, console = open_page()
    log_in(page, "doctor")
    page.goto("/worklist/")
    page.get_by_role("link", name=re.compile("Durand")).first.wait_for()
    alert = Alert.objects.get(patient=patient_a, rule_code="trough-above-target")
    page.goto(f"/patients/{patient_a.pk}/record/regimen/")
    page.get_by_label("Product").select_option("Prograf")
    page.get_by_label("Capsule strength (mg)").select_option("0.5")
    page.get_by_label("Morning dose (mg)").fill("2.5")
    page.get_by_label("Evening dose (mg)").fill("2.5")
    page.get_by_label("Started on").fill(timezone.localdate().isoformat())
    page.get_by_label("Reason").fill("trough 11.2 ng/mL above target")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_load_state("networkidle")
    assert Regimen.objects.filter(patient=patient_a, morning_dose_mg=2.5).exists()
    page.goto(f"/alerts/{alert.pk}/acknowledge/")
    page.get_by_label("Dose changed").check()
    page.get_by_label("Comment").fill("Reduced to 5 mg/day; repeat trough in a week.")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("networkidle")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.decision == "dose-changed"
    assert console.errors == []

    # The patient, whose browser speaks French, sees the new point and the value in French.
    page, console = open_page(width=360, locale="fr-FR")
    log_in(page, "alice")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "11,2" in page.inner_text("main")
    assert chart_points(page) == 2
    ticks = " ".join(page.locator("#trough-chart .xtick text").all_text_contents())
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", ticks), ticks
    assert axe_violations(page) == []
    screenshot(page, "journey-patient-home-fr-360")

    # She invites Carole by e-mail; the link creates Carole's own account.
    page.goto("/sharing/")
    assert axe_violations(page) == []
    page.get_by_label(re.compile("e-mail|courriel", re.I)).first.fill("carole@example.org")
    page.get_by_role("button", name=re.compile("Invit", re.I)).click()
    page.wait_for_load_state("networkidle")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert console.errors == []

    family, family_console = open_page(width=360)
    family.goto(path)
    assert axe_violations(family) == []
    family.get_by_label("Choose a username").fill("carole")
    family.get_by_label("Choose a password").fill("a-long-family-passphrase")
    family.get_by_label("Type the password again").fill("a-long-family-passphrase")
    family.get_by_role("button", name="Create my account and accept").click()
    family.wait_for_load_state("networkidle")
    family.goto("/chart/")
    family.wait_for_load_state("networkidle")
    assert chart_points(family) == 2
    assert axe_violations(family) == []
    screenshot(family, "journey-family-view-360")
    assert family_console.errors == []

    # Alice revokes; Carole's very next request is refused.
    page.goto("/sharing/")
    page.get_by_role("button", name="Arrêter le partage").first.click()
    page.wait_for_load_state("networkidle")
    response = family.goto(f"/chart/{patient_a.pk}/")
    assert response.status == 404
