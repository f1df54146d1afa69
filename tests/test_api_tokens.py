"""API tokens (issue #6): created by command, stored hashed, resolved from the header."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory

from monitoring import services
from monitoring.models import ApiToken, hash_token


def _request(header: str | None):
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    return RequestFactory().get("/fhir/R4/metadata", **headers)


def test_the_command_prints_a_token_that_authenticates_as_its_user(lab):
    out = io.StringIO()
    call_command("create_api_token", "lab", "--name", "Lab feed", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert key.startswith("tdm_")
    assert services.user_for_bearer_token(_request(f"Bearer {key}")) == lab


def test_only_the_hash_of_the_token_is_stored(lab):
    key = services.create_api_token(user=lab, name="feed")
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(key)
    assert key not in token.key_hash


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer tdm_wrong", "Basic dGVzdDp0ZXN0", "Token tdm_x"],
)
def test_a_missing_or_wrong_header_authenticates_nobody(lab, header):
    services.create_api_token(user=lab)
    assert services.user_for_bearer_token(_request(header)) is None


def test_a_revoked_token_or_a_deactivated_user_authenticates_nobody(lab, nurse):
    key = services.create_api_token(user=lab)
    services.revoke_api_token(token=ApiToken.objects.get(), user=nurse, reason="rotated")
    assert services.user_for_bearer_token(_request(f"Bearer {key}")) is None
    other_key = services.create_api_token(user=lab)
    lab.is_active = False
    lab.save()
    assert services.user_for_bearer_token(_request(f"Bearer {other_key}")) is None


def test_family_members_cannot_have_tokens(family):
    with pytest.raises(ValidationError):
        services.create_api_token(user=family)
    assert not ApiToken.objects.exists()


def test_using_a_token_records_when_it_was_last_used(lab):
    key = services.create_api_token(user=lab)
    assert ApiToken.objects.get().last_used_at is None
    services.user_for_bearer_token(_request(f"Bearer {key}"))
    assert ApiToken.objects.get().last_used_at is not None
