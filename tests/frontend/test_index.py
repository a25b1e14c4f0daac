"""GET /: sends a visitor where they belong."""

from flask.testing import FlaskClient


def test_logged_out_goes_to_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == "/login"


def test_logged_in_goes_to_dashboard(logged_in: FlaskClient) -> None:
    response = logged_in.get("/")
    assert response.status_code == 302
    assert response.location == "/dashboard"


def test_unknown_page_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
