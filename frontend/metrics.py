"""Prometheus metrics of the frontend at /metrics: requests and latency by endpoint."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest


def init_app(app: Flask) -> None:
    # A registry per app, so several apps in one test process keep their own counts.
    registry = CollectorRegistry()
    requests = Counter(
        "vigil_frontend_requests_total",
        "Requests by endpoint and status",
        ["endpoint", "status"],
        registry=registry,
    )
    latency = Histogram(
        "vigil_frontend_request_seconds",
        "Request latency by endpoint",
        ["endpoint"],
        registry=registry,
    )

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        requests.labels(endpoint, str(response.status_code)).inc()
        if "metrics_started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.metrics_started)
        return response

    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics)
