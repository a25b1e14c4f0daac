"""POST /logout: the session forgets the token."""

from flask.testing import FlaskClient

from tests.frontend.helpers import csrf_token


def test_logout_clears_the_session(logged_in: FlaskClient) -> None:
    token = csrf_token(logged_in, "/dashboard")
    response = logged_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/login"
    with logged_in.session_transaction() as session:
        assert "token" not in session
        assert "csrf" not in session
    assert logged_in.get("/dashboard").location == "/login"


def test_logout_keeps_the_chosen_language(logged_in: FlaskClient) -> None:
    token = csrf_token(logged_in, "/dashboard?lang=nl")
    logged_in.post("/logout", data={"csrf_token": token})
    assert '<html lang="nl">' in logged_in.get("/login").get_data(as_text=True)


def test_logout_without_csrf_token_is_refused(logged_in: FlaskClient) -> None:
    assert logged_in.post("/logout").status_code == 400
    with logged_in.session_transaction() as session:
        assert "token" in session


def test_logout_is_not_a_get(logged_in: FlaskClient) -> None:
    """A link or an image on another site must not be able to log the user out."""
    assert logged_in.get("/logout").status_code == 405


def test_logout_button_is_on_the_dashboard(logged_in: FlaskClient) -> None:
    html = logged_in.get("/dashboard").get_data(as_text=True)
    assert 'action="/logout"' in html
    assert ">Log out</button>" in html
