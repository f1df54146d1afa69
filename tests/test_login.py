import pytest

from monitoring.models import Role
from tests.factories import PASSWORD, UserFactory


def log_in(client, username, password=PASSWORD):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, follow=True
    )


def test_the_login_page_renders_for_an_anonymous_visitor(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert 'name="username"' in response.text
    assert 'name="password"' in response.text


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, nurse):
    response = log_in(client, "nurse", "not-the-password")

    assert response.status_code == 200
    assert "Your username and password didn't match" in response.text
    assert "_auth_user_id" not in client.session


def test_a_nurse_lands_on_the_patient_list(client, nurse):
    response = log_in(client, "nurse")

    assert response.redirect_chain[-1][0] == "/patients/"
    assert response.status_code == 200


def test_a_doctor_lands_on_the_worklist(client, doctor):
    response = log_in(client, "doctor")

    assert response.redirect_chain[-1][0] == "/worklist/"
    assert response.status_code == 200


def test_a_patient_lands_on_their_own_chart(client, patient_a):
    response = log_in(client, "alice")

    assert response.redirect_chain[-1][0] == f"/chart/{patient_a.pk}/"
    assert response.status_code == 200
    assert "Your tacrolimus levels" in response.text


def test_a_family_member_lands_on_the_shared_patients_chart(client, family, patient_a):
    response = log_in(client, "carol")

    assert response.redirect_chain[-1][0] == f"/chart/{patient_a.pk}/"
    assert response.status_code == 200
    assert "Alice Durand" in response.text


@pytest.mark.django_db
def test_a_clinic_administrator_lands_on_the_admin(client):
    UserFactory(username="admin", role=Role.ADMIN, is_staff=True)

    response = log_in(client, "admin")

    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200
