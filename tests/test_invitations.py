"""A patient invites a family member by e-mail; the one-time link creates a family account
(or adds the share to one) and gives read access; used, withdrawn and expired links refuse."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from monitoring import services
from monitoring.models import MAX_PENDING_INVITATIONS, Invitation, Role, Share, User
from tests.factories import UserFactory

NEW_PASSWORD = "lavender-canal-teapot-1987"

# `mailoutbox` comes last in every test: the database set-up replaces Django's outbox, so the
# fixture must be taken after the fixtures that open the database.


@pytest.fixture
def alice(patient_a):
    return patient_a.user


@pytest.fixture
def invite(patient_a, alice):
    """Invite someone to patient A's results through the service; returns (invitation, url)."""

    def make(email="marc@example.org", **kwargs):
        invitation, token = services.invite_family_member(
            patient=patient_a, email=email, invited_by=alice, **kwargs
        )
        return invitation, reverse("monitoring:invitation_accept", args=[token])

    return make


def sign_up(client, url, username="marc", password=NEW_PASSWORD, **extra):
    data = {"username": username, "password1": password, "password2": password, **extra}
    return client.post(url, data)


def assert_no_patient_data(text):
    for secret in ["Alice", "Durand", "DR-1001", "6.66"]:
        assert secret not in text


# --- Sending ----------------------------------------------------------------------------------


def test_inviting_sends_one_email_with_a_link_and_no_health_data(
    client, alice, patient_a, record_trough, django_capture_on_commit_callbacks, mailoutbox
):
    record_trough(patient_a, "6.66")
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:sharing"), {"email": "marc@example.org"})

    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["marc@example.org"]
    assert mail.subject == "Alice invited you to see their tdm-tracker results"
    [link] = re.findall(r"http://127\.0\.0\.1:8000/invitations/\S+/", mail.body)
    assert "The link works once" in mail.body
    for secret in ["Durand", "DR-1001", "6.66", "tacrolimus level"]:
        assert secret not in mail.subject + mail.body
    assert Client().get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_the_sharing_page_confirms_the_invitation(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("monitoring:sharing"), {"email": "marc@example.org"}, follow=True
    )

    assert "Invitation sent to marc@example.org. The link works once, for 7 days." in response.text
    assert "waiting for an answer" in response.text


def test_no_email_is_sent_before_the_transaction_commits(
    invite, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite()

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_only_a_hash_of_the_token_is_stored(invite):
    invitation, url = invite()
    token = url.rstrip("/").rsplit("/", 1)[1]

    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = Invitation.objects.values().get(pk=invitation.pk)
    assert token not in str(stored)
    assert len(token) >= 40


def test_a_bad_email_address_is_refused_and_nothing_is_sent(
    client, alice, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:sharing"), {"email": "marc@"})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_share_end_in_the_past_is_refused(client, alice):
    client.force_login(alice)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = client.post(
        reverse("monitoring:sharing"),
        {"email": "marc@example.org", "share_until": yesterday.isoformat()},
    )

    assert "The end of sharing must be in the future." in response.text
    assert not Invitation.objects.exists()


def test_at_most_ten_invitations_wait_at_once(
    client, alice, invite, django_capture_on_commit_callbacks, mailoutbox
):
    for n in range(MAX_PENDING_INVITATIONS):
        invite(email=f"person{n}@example.org")
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:sharing"), {"email": "one.more@example.org"})

    assert response.status_code == 200
    assert "You already have 10 invitations waiting for an answer." in response.text
    assert Invitation.objects.count() == MAX_PENDING_INVITATIONS
    assert mailoutbox == []


def test_withdrawn_invitations_no_longer_count_towards_the_limit(alice, invite):
    invitations = [invite(email=f"person{n}@example.org")[0] for n in range(10)]
    services.revoke_invitation(invitation=invitations[0], user=alice)

    invite(email="one.more@example.org")

    assert Invitation.objects.pending().count() == MAX_PENDING_INVITATIONS


def test_inviting_is_audited(invite, alice):
    invitation, _url = invite()

    record = invitation.history.get()
    assert record.history_user == alice
    assert record.history_change_reason == "Invited"


@pytest.mark.needs_translations
def test_the_email_is_written_in_the_patients_language(
    invite, django_capture_on_commit_callbacks, mailoutbox
):
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        invite()

    [mail] = mailoutbox
    assert "Alice" in mail.subject
    assert "invited you" not in mail.subject


# --- Accepting --------------------------------------------------------------------------------


def test_accepting_creates_a_family_account_with_the_chosen_password_and_an_active_share(
    client, invite, patient_a
):
    invitation, url = invite(share_expires_at=timezone.now() + dt.timedelta(days=30))

    page = client.get(url)
    response = sign_up(client, url, first_name="Marc")

    assert "Alice invited you to see their tdm-tracker results" in page.text
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:patient_chart", args=[patient_a.pk])
    marc = User.objects.get(username="marc")
    assert marc.role == Role.FAMILY
    assert marc.email == "marc@example.org"
    assert marc.first_name == "Marc"
    # django-axes needs the request that authenticate() gets from a real login.
    assert Client().login(request=HttpRequest(), username="marc", password=NEW_PASSWORD)
    share = Share.objects.get(grantee=marc)
    assert share.patient == patient_a
    assert share.is_active
    assert share.expires_at == invitation.share_expires_at
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.share == share


def test_after_accepting_the_family_member_is_signed_in_and_sees_the_chart(
    client, invite, patient_a, record_trough
):
    record_trough(patient_a, "6.66")
    _invitation, url = invite()

    response = sign_up(client, url)
    chart = client.get(response["Location"])

    assert chart.status_code == 200
    assert "6.66" in chart.text
    assert "You can now see the results Alice shares with you." in chart.text


def test_the_link_works_once(client, invite):
    _invitation, url = invite()
    sign_up(client, url)

    again = Client().get(url)
    second_account = sign_up(Client(), url, username="someone-else")

    assert again.status_code == 410
    assert "This invitation has already been used." in again.text
    assert_no_patient_data(again.text)
    assert second_account.status_code == 410
    assert not User.objects.filter(username="someone-else").exists()


def test_an_expired_link_is_refused_without_patient_data(client, invite):
    _invitation, url = invite()

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        response = client.get(url)
        posted = sign_up(client, url)

    assert response.status_code == 410
    assert "This invitation has expired." in response.text
    assert_no_patient_data(response.text)
    assert posted.status_code == 410
    assert not User.objects.filter(username="marc").exists()


def test_a_withdrawn_link_is_refused_without_patient_data(client, invite, alice):
    invitation, url = invite()
    services.revoke_invitation(invitation=invitation, user=alice)

    response = client.get(url)

    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.text
    assert_no_patient_data(response.text)


def test_an_unknown_link_is_a_404_without_patient_data(client, invite):
    invite()

    response = client.get(reverse("monitoring:invitation_accept", args=["not-a-real-token"]))

    assert response.status_code == 404
    assert "This invitation link is not valid." in response.text
    assert_no_patient_data(response.text)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "This password is too short."),
        ("password1234", "This password is too common."),
        ("839201748593", "This password is entirely numeric."),
    ],
)
def test_the_password_validators_apply(client, invite, password, message):
    invitation, url = invite()

    response = sign_up(client, url, password=password)

    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(username="marc").exists()
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_the_two_passwords_must_match(client, invite):
    _invitation, url = invite()

    response = client.post(
        url, {"username": "marc", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )

    assert "The two passwords are different." in response.text
    assert not User.objects.filter(username="marc").exists()


def test_a_taken_username_is_refused_whatever_its_case(client, invite, family):
    _invitation, url = invite()

    response = sign_up(client, url, username="Carol")

    assert "This username is taken: choose another." in response.text
    assert User.objects.filter(username__iexact="carol").count() == 1


def test_a_signed_in_family_member_just_accepts(client, family, patient_b):
    invitation, token = services.invite_family_member(
        patient=patient_b, email="carol@example.org", invited_by=patient_b.user
    )
    url = reverse("monitoring:invitation_accept", args=[token])
    client.force_login(family)

    page = client.get(url)
    response = client.post(url)

    assert "Accept the invitation" in page.text
    assert "Choose a password" not in page.text
    assert response["Location"] == reverse("monitoring:patient_chart", args=[patient_b.pk])
    assert Share.objects.active().filter(grantee=family, patient=patient_b).exists()
    assert User.objects.filter(role=Role.FAMILY).count() == 1


def test_accepting_again_for_the_same_patient_keeps_one_share(client, family, invite):
    _invitation, url = invite(email="carol@example.org")
    client.force_login(family)

    client.post(url)

    assert Share.objects.filter(grantee=family).count() == 1


@pytest.mark.parametrize("who", ["patient_b", "nurse", "doctor"])
def test_a_signed_in_patient_or_staff_cannot_accept(client, request, invite, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)  # a patient fixture is the Patient record
    invitation, url = invite()
    client.force_login(user)

    page = client.get(url)
    posted = client.post(url)

    assert page.status_code == 403
    assert "which is not a family member account" in page.text
    assert posted.status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending
    assert not Share.objects.filter(grantee=user).exists()


def test_the_service_refuses_a_non_family_account(invite, nurse):
    invitation, _url = invite()

    with pytest.raises(Exception, match="Only a family member account"):
        services.accept_invitation(invitation=invitation, user=nurse)


def test_accepting_is_audited(client, invite):
    invitation, url = invite()

    sign_up(client, url)

    marc = User.objects.get(username="marc")
    assert invitation.history.latest().history_user == marc
    assert Share.objects.get(grantee=marc).history.get().history_change_reason == (
        "Invitation accepted"
    )


def test_the_invitation_page_needs_no_login(client, invite):
    _invitation, url = invite()

    assert client.get(url).status_code == 200


# --- Withdrawing, and the sharing page ---------------------------------------------------------


def test_the_patient_withdraws_a_pending_invitation(client, alice, invite):
    invitation, url = invite()
    client.force_login(alice)

    response = client.post(
        reverse("monitoring:invitation_revoke", args=[invitation.pk]), follow=True
    )

    assert "The invitation to marc@example.org is withdrawn" in response.text
    assert "withdrawn" in response.text
    assert Client().get(url).status_code == 410


def test_an_accepted_invitation_cannot_be_withdrawn(client, alice, invite):
    invitation, url = invite()
    sign_up(Client(), url)
    client.force_login(alice)

    response = client.post(
        reverse("monitoring:invitation_revoke", args=[invitation.pk]), follow=True
    )

    assert "already accepted: stop sharing instead" in response.text
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_sharing_page_lists_pending_and_greys_withdrawn_and_expired_invitations(
    client, alice, invite
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=10)):
        invite(email="old@example.org")
    withdrawn, _url = invite(email="gone@example.org")
    services.revoke_invitation(invitation=withdrawn, user=alice)
    invite(email="new@example.org")
    client.force_login(alice)

    response = client.get(reverse("monitoring:sharing"))

    text = response.text
    assert text.count("invitation-past") == 2
    assert "without an answer" in text  # the expired one
    assert "withdrawn" in text
    assert text.count(">Withdraw<") == 1  # only the pending one


def test_a_patient_cannot_withdraw_another_patients_invitation(client, invite, patient_b):
    invitation, _url = invite()
    client.force_login(patient_b.user)

    response = client.post(reverse("monitoring:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending


@pytest.mark.parametrize("who", ["nurse", "family"])
def test_only_patients_withdraw_invitations(client, request, invite, who):
    invitation, _url = invite()
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("monitoring:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_an_anonymous_visitor_cannot_withdraw_an_invitation(client, invite):
    invitation, _url = invite()

    response = client.post(reverse("monitoring:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_staff_cannot_use_the_sharing_page(client, nurse):
    client.force_login(nurse)

    assert client.get(reverse("monitoring:sharing")).status_code == 403
    assert client.post(reverse("monitoring:sharing"), {"email": "x@example.org"}).status_code == 403
    assert not Invitation.objects.exists()


def test_a_family_member_cannot_invite(client, family):
    client.force_login(family)

    response = client.post(reverse("monitoring:sharing"), {"email": "x@example.org"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_link_accepted_meanwhile_in_another_tab_is_refused(client, invite):
    # The form was opened before the link was used elsewhere: its POST creates no account.
    invitation, url = invite()
    client.get(url)
    services.accept_invitation(invitation=invitation, user=UserFactory(role=Role.FAMILY))

    response = sign_up(client, url)

    assert response.status_code == 410
    assert not User.objects.filter(username="marc").exists()
