"""The chart pages draw under the Content-Security-Policy without a single violation: no inline
script or style, no eval, nothing from another origin."""

import pytest

from tests.browser.conftest import log_in

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
