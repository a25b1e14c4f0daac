from flask.testing import FlaskClient


def test_metrics_count_requests_by_endpoint(client: FlaskClient) -> None:
    client.get("/healthz")
    client.get("/healthz")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'vigil_frontend_requests_total{endpoint="healthz",status="200"} 2.0' in body
