"""Every URL the project serves is classified (issue #7, OWASP ASVS 5.0 V8.2): either public on
purpose (listed below with the reason), or an API that answers 401 without a bearer token, or
private: an anonymous visitor is sent to the login page.

A new view that is none of these fails here with its route in the test name: add
`@login_not_required` only together with an entry in PUBLIC that says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.security.security_md import listed_routes

# Route → why anyone may open it without signing in.
PUBLIC = {
    "accounts/login/": "the login page (django-axes throttles it)",
    "accounts/password_reset/": "asking for a reset link (the same answer for any address)",
    "accounts/password_reset/done/": "the 'check your e-mail' page",
    "accounts/reset/<uidb64>/<token>/": "the reset link itself: the token is the credential",
    "accounts/reset/done/": "the 'password changed' page",
    "admin/login/": "the admin login page (same backends, throttling and two-factor)",
    "invitations/<str:token>/": "a family invitation link: the token is the credential",
    "healthz": "the load balancer's health check (no data)",
    "language/": "the language switch, offered on the login page",
    "fhir/R4/metadata": "the FHIR CapabilityStatement (no patient data)",
    "fhir/R4/(?P<path>.*)$": "the FHIR 'not supported' OperationOutcome for unknown paths",
}

# Route → the methods it answers: without a bearer token each of them is a 401.
BEARER = {
    "api/hl7/": ["POST"],
    "fhir/R4/Patient": ["GET", "POST"],
    "fhir/R4/Patient/<str:resource_id>": ["GET"],
    "fhir/R4/Patient/<str:resource_id>/$everything": ["GET"],
    "fhir/R4/Observation": ["GET", "POST"],
    "fhir/R4/Observation/<str:resource_id>": ["GET"],
    "fhir/R4/MedicationStatement": ["GET"],
    "fhir/R4/MedicationStatement/<str:resource_id>": ["GET"],
    "fhir/R4/DetectedIssue": ["GET"],
    "fhir/R4/DetectedIssue/<str:resource_id>": ["GET"],
}

# Plausible values for path converters (RoutePattern) and regex groups (RegexPattern).
CONVERTER_VALUES = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "x"}
_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")
_UNNAMED_GROUP = re.compile(r"\((?!\?)[^()]*\)")


@dataclass(frozen=True)
class Endpoint:
    route: str  # the pattern as written, prefixes included: what the lists above name
    name: str  # "namespace:name", or "" for an unnamed pattern
    url: str  # a URL that resolves to it, with plausible values in place of the parameters

    def __str__(self) -> str:
        return self.route


def _sample(pattern) -> str:
    """A concrete piece of URL matching one pattern level."""
    text = str(pattern)
    if pattern.__class__.__name__ == "RoutePattern":
        return _CONVERTER.sub(lambda m: CONVERTER_VALUES.get(m["converter"] or "str", "x"), text)

    def group(match: re.Match) -> str:
        # An alternation of literal names (the admin's app labels): the first one.
        first = match["body"].split("|")[0]
        return first if re.fullmatch(r"[\w-]+", first) else "x"

    text = _GROUP.sub(group, text)
    text = _UNNAMED_GROUP.sub("1", text)  # simple-history's ([^/]+): an object id
    return text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")


def _route(pattern) -> str:
    return (
        str(pattern).removeprefix("^")
        if pattern.__class__.__name__ == "RegexPattern"
        else (str(pattern))
    )


def inventory() -> list[Endpoint]:
    """Every pattern of the project's URLconf, the admin and the FHIR include among them.
    A pattern hidden behind an earlier one with the same route is listed once."""
    found: dict[str, Endpoint] = {}

    def walk(patterns, route: str, url: str, namespace: str) -> None:
        for pattern in patterns:
            here_route = route + _route(pattern.pattern)
            here_url = url + _sample(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n)
                walk(pattern.url_patterns, here_route, here_url, inner)
            elif isinstance(pattern, URLPattern) and here_route not in found:
                name = ":".join(n for n in (namespace, pattern.name or "") if n)
                found[here_route] = Endpoint(here_route, name, "/" + here_url)

    walk(get_resolver().url_patterns, "", "", "")
    return list(found.values())


ENDPOINTS = inventory()
PRIVATE = [e for e in ENDPOINTS if e.route not in PUBLIC and e.route not in BEARER]


def _login_paths() -> set[str]:
    return {reverse(settings.LOGIN_URL), reverse("admin:login")}


def _plain(route: str) -> str:
    return re.sub(r"(^|/)\^", r"\1", route).removesuffix("$")


def test_the_inventory_walks_into_the_admin_and_the_fhir_api():
    routes = {e.route for e in ENDPOINTS}

    assert "admin/monitoring/patient/" in routes
    assert "fhir/R4/Patient/<str:resource_id>" in routes
    assert "patients/<int:patient_id>/" in routes
    assert len(ENDPOINTS) > 150


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_sample_url_reaches_its_own_pattern(endpoint):
    # Otherwise the checks below would test some other view.
    match = resolve(urlsplit(endpoint.url).path)

    assert _plain(match.route) == _plain(endpoint.route), (
        f"{endpoint.url} resolves to {match.route}, not to {endpoint.route}"
    )


def test_every_listed_route_still_exists():
    routes = {e.route for e in ENDPOINTS}

    assert set(PUBLIC) - routes == set(), "PUBLIC names routes that no longer exist"
    assert set(BEARER) - routes == set(), "BEARER names routes that no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PRIVATE, ids=str)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, endpoint, method):
    response = getattr(client, method)(endpoint.url)

    location = response.headers.get("Location", "")
    assert response.status_code == 302 and urlsplit(location).path in _login_paths(), (
        f"{endpoint.route} ({endpoint.name or 'unnamed'}) answered an anonymous {method.upper()} "
        f"with {response.status_code} {location}: make it private, or list it in PUBLIC or "
        "BEARER in tests/security/test_url_inventory.py with the reason"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "method"),
    [(route, method) for route, methods in BEARER.items() for method in methods],
)
def test_an_api_request_without_a_token_is_a_401(client, route, method):
    endpoint = next(e for e in ENDPOINTS if e.route == route)

    response = getattr(client, method.lower())(endpoint.url, content_type="application/json")

    assert response.status_code == 401, f"{route} answered {method} without a token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("route", PUBLIC)
def test_a_public_page_answers_without_sending_to_the_login_page(client, route):
    # The list stays honest: a route listed as public that became private is removed from it.
    endpoint = next(e for e in ENDPOINTS if e.route == route)

    response = client.get(endpoint.url)

    assert response.status_code < 500
    assert urlsplit(response.headers.get("Location", "")).path not in _login_paths()


def test_security_md_lists_every_endpoint_of_the_inventory():
    """SECURITY.md's route table is the documentation of this inventory: a new route needs
    a line there (who may reach it), a removed one loses its line."""
    listed = listed_routes()
    # The admin is one line: its routes are all behind the admin login and is_staff.
    routes = {e.route for e in ENDPOINTS if not e.route.startswith("admin/")} | {"admin/"}

    assert routes - listed == set(), "routes missing from SECURITY.md"
    assert listed - routes == set(), "SECURITY.md lists routes that no longer exist"
