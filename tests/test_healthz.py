"""/healthz: what a load balancer asks each app server before sending it traffic (issue #8)."""

from django.db import OperationalError, connection


def test_it_answers_ok_when_the_database_answers(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_answers_503_when_the_database_is_down(client, db, monkeypatch, caplog):
    def unreachable():
        raise OperationalError("connection refused")

    # The database server is the world outside: it stops answering (for this request only,
    # so that the test database can still be cleaned up).
    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", unreachable)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "database unavailable"}
    assert "Health check" in caplog.text


def test_it_needs_no_login(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "login" not in response.get("Location", "")
