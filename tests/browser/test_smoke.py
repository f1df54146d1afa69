"""The pages render in a real browser: charts drawn as SVG, no console errors, axe-clean."""

import pytest

from tests.browser.conftest import axe_violations, log_in

# Committed for real, so that the live server sees it (conftest restores the catalogues).
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_login_page_has_no_accessibility_violations(open_page):
    page, console = open_page(width=360)
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    assert console.errors == []


def test_a_patient_sees_their_trough_drawn_on_the_chart(open_page, patient_a, record_trough):
    record_trough(patient_a, "7.1")
    page, console = open_page()
    log_in(page, "alice")
    points = page.locator(".js-plotly-plot .scatterlayer .point")
    points.first.wait_for()
    assert points.count() >= 1
    assert console.errors == []


def test_the_patients_own_pages_have_no_accessibility_violations_in_french(
    open_page, patient_a, family
):
    page, console = open_page(width=360, locale="fr")
    log_in(page, "alice")
    for path in ("/sharing/", "/symptoms/new/", "/dose-time/new/"):
        assert page.goto(path).status == 200, path
        assert page.locator("html").get_attribute("lang") == "fr"
        assert axe_violations(page) == [], path
    assert console.errors == []
