"""GET /healthz: a plain answer for probes, whatever the API is doing."""

from flask.testing import FlaskClient

from tests.frontend.fake_api import FakeApi


def test_healthz_answers_ok_in_plain_text(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.data == b"ok"


def test_healthz_does_not_depend_on_the_api(client: FlaskClient, fake_api: FakeApi) -> None:
    with fake_api.refusing_connections():
        assert client.get("/healthz").status_code == 200
    assert fake_api.seen == []
