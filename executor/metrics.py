"""The executor's Prometheus metrics, served on VIGIL_METRICS_PORT."""

from prometheus_client import Counter, Gauge, Histogram

CHECKS = Counter(
    "vigil_executor_checks_total", "Checks run, by kind and verdict", ["kind", "status"]
)
BATCHES = Counter("vigil_executor_batches_published_total", "Result batches confirmed")
PUBLISH_FAILURES = Counter(
    "vigil_executor_publish_failures_total", "Batch publishes that failed and were retried"
)
SPILLED_EARLY = Counter(
    "vigil_executor_spilled_early_batches_total",
    "Batches written to disk because the broker had not confirmed them",
)
TESTS_HELD = Gauge("vigil_executor_tests_held", "Tests this executor runs")
BACKLOG = Gauge("vigil_executor_backlog_results", "Results waiting to be published")
LATENESS = Histogram(
    "vigil_executor_check_lateness_seconds",
    "How late a check started against its slot on the grid",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
