"""The executor's Prometheus metrics, served on VIGIL_METRICS_PORT."""

from prometheus_client import Counter, Gauge

CHECKS = Counter("vigil_executor_checks_total", "Checks run, by kind and verdict",
                 ["kind", "status"])
BATCHES = Counter("vigil_executor_batches_published_total", "Result batches confirmed")
PUBLISH_FAILURES = Counter("vigil_executor_publish_failures_total",
                           "Batch publishes that failed and were retried")
TESTS_HELD = Gauge("vigil_executor_tests_held", "Tests this executor runs")
BACKLOG = Gauge("vigil_executor_backlog_results", "Results waiting to be published")
