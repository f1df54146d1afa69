"""The chart pages draw under the Content-Security-Policy without a single violation: no inline
script or style, no eval, nothing from another origin."""

import pytest

from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Collects the violations the browser reports to the page, from before its first script runs.
LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`
  );
});
"""


def open_chart(open_page, username, path):
    page, console = open_page()
    page.context.add_init_script(LISTEN)
    log_in(page, username)
    response = page.goto(path)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".js-plotly-plot .scatterlayer .point").first.wait_for()
    page.wait_for_load_state("networkidle")
    return page, console


def test_the_staff_charts_page_draws_without_breaking_the_security_policy(
    open_page, nurse, patient_a, record_trough
):
    record_trough(patient_a, "7.1")

    page, console = open_chart(open_page, "nurse", f"/patients/{patient_a.pk}/charts/")

    assert page.evaluate("window.cspViolations") == []
    assert console.errors == []


def test_the_patients_own_chart_draws_without_breaking_the_security_policy(
    open_page, patient_a, record_trough
):
    record_trough(patient_a, "7.1")

    page, console = open_chart(open_page, "alice", "/chart/")

    assert page.evaluate("window.cspViolations") == []
    assert console.errors == []


def test_hovering_a_point_on_the_patient_page_shows_its_value_under_the_policy(
    open_page, nurse, patient_a, record_trough
):
    record_trough(patient_a, "7.1")
    page, console = open_chart(open_page, "nurse", f"/patients/{patient_a.pk}/")

    page.locator(".js-plotly-plot .scatterlayer .point").first.hover(force=True)

    assert "7.1" in page.locator(".js-plotly-plot .hoverlayer").first.text_content()
    assert page.locator(".js-plotly-plot .modebar").first.is_visible()
    # Plotly's own rules came from css/plotly.css: its layers are stacked, not one below another.
    position = page.locator(".js-plotly-plot .main-svg").first.evaluate(
        "(el) => getComputedStyle(el).position"
    )
    assert position == "absolute"
    assert page.evaluate("window.cspViolations") == []
    assert console.errors == []


def visit_all(page, paths):
    """The violations each page reported, by path (a fresh listener on every page)."""
    found = {}
    for path in paths:
        assert page.goto(path).status == 200, path
        page.wait_for_load_state("networkidle")
        if violations := page.evaluate("window.cspViolations"):
            found[path] = violations
    return found


def test_the_staff_pages_break_no_policy(open_page, doctor, patient_a, record_trough):
    record_trough(patient_a, "7.1")
    page, console = open_page()
    page.context.add_init_script(LISTEN)
    log_in(page, "doctor")
    patient = f"/patients/{patient_a.pk}"

    found = visit_all(
        page,
        [
            "/patients/",
            "/worklist/",
            "/dashboard/",
            "/draws/new/",
            f"{patient}/troughs/new/",
            f"{patient}/target/",
            f"{patient}/record/regimen/",
            "/accounts/password_change/",
            f"{patient}/record/medication/",
        ],
    )
    # The medication form looks names up as they are typed (connect-src 'self').
    page.locator("[data-interaction-match]").fill("clarithro")
    page.wait_for_load_state("networkidle")

    assert found == {}
    assert page.evaluate("window.cspViolations") == []
    assert console.errors == []


def test_the_patient_portal_breaks_no_policy(open_page, patient_a, record_trough):
    record_trough(patient_a, "7.1")
    page, console = open_page(width=360, locale="fr")
    page.context.add_init_script(LISTEN)
    log_in(page, "alice")

    found = visit_all(page, ["/sharing/", "/symptoms/new/", "/dose-time/new/"])

    assert found == {}
    assert console.errors == []


def test_the_administration_breaks_no_policy(open_page, nurse, clinic):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page, _ = open_page()
    page.context.add_init_script(LISTEN)
    log_in(page, "root")

    found = visit_all(
        page,
        ["/admin/", "/admin/monitoring/user/", f"/admin/monitoring/user/{nurse.pk}/change/"],
    )

    # Only the policy: Django's admin pages name no icon, so the browser's /favicon.ico is a 404.
    assert found == {}
