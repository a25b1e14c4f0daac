"""GET /dashboard/data: the table alone, for the page's script to swap in."""

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi, monitor
from tests.frontend.helpers import text


def test_fragment_is_the_table_alone(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.monitors = [monitor("Shop", "degraded", monitor_id="m1")]
    response = logged_in.get("/dashboard/data")
    html = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<tr data-monitor-id="m1">' in html
    assert 'data-status="degraded"' in html and ">Degraded</span>" in html
    assert "<html" not in html and "<header" not in html


def test_fragment_follows_the_session_language(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.monitors = [monitor("Shop", "degraded")]
    logged_in.get("/login?lang=nl")
    assert ">Verstoord</span>" in text(logged_in.get("/dashboard/data"))


def test_fragment_empty_state(logged_in: FlaskClient) -> None:
    assert "You have no monitors yet." in text(logged_in.get("/dashboard/data"))


def test_logged_out_gets_401_not_a_login_page(client: FlaskClient) -> None:
    response = client.get("/dashboard/data")
    assert response.status_code == 401
    assert response.data == b""


def test_api_401_answers_401_and_clears_the_session(
    logged_in: FlaskClient, fake_api: FakeApi
) -> None:
    fake_api.expire_tokens()
    assert logged_in.get("/dashboard/data").status_code == 401
    with logged_in.session_transaction() as session:
        assert "token" not in session


def test_api_failure_answers_502_without_a_page(logged_in: FlaskClient, fake_api: FakeApi) -> None:
    fake_api.answer_everything_with(500, "oops", "text/plain")
    response = logged_in.get("/dashboard/data")
    assert response.status_code == 502
    assert response.data == b""
