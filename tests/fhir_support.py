"""Helpers for the FHIR API tests: a client that sends a user's API token."""

import json

from monitoring import services

BASE = "/fhir/R4/"


class Api:
    """The test client speaking FHIR as `user`, with a fresh API token of theirs."""

    def __init__(self, client, user):
        self.client = client
        self.header = f"Bearer {services.create_api_token(user=user, name='test')}"

    def get(self, path: str, params: dict | None = None, **extra):
        return self.client.get(BASE + path, params or {}, HTTP_AUTHORIZATION=self.header, **extra)

    def post(self, path: str, data, **extra):
        body = data if isinstance(data, str | bytes) else json.dumps(data)
        return self.client.post(
            BASE + path,
            data=body,
            content_type="application/fhir+json",
            HTTP_AUTHORIZATION=self.header,
            **extra,
        )


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def link(bundle: dict, relation: str) -> str | None:
    return next((x["url"] for x in bundle.get("link", []) if x["relation"] == relation), None)
