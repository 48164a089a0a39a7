"""Prometheus metrics of one app instance (its own registry, so tests can build many apps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _StateCollector(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("gradelab_submissions", "Submissions by state", labels=["state"])
        try:
            counts = self.counts()
        except Exception:  # a scrape must not fail because the database is briefly unavailable
            counts = {}
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family


class Metrics:
    """The service's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.grading_seconds = Histogram(
            "gradelab_grading_seconds",
            "Time from claim to stored result of one submission",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
            registry=self.registry,
        )
        self.queue_seconds = Histogram(
            "gradelab_queue_seconds",
            "Time a submission waited between creation and claim",
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800),
            registry=self.registry,
        )
        self.queue_wait = Histogram(
            "gradelab_queue_wait_seconds",
            "Time a job waited between creation and claim, by priority class (live submissions, regrades)",
            ["priority"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300, 900, 1800, 3600),
            registry=self.registry,
        )
        self.graded = Counter("gradelab_graded", "Grading attempts by outcome", ["outcome"], registry=self.registry)
        self.sandbox_kills = Counter(
            "gradelab_sandbox_kills", "Calls the sandbox stopped, by reason", ["reason"], registry=self.registry
        )
        self.submissions_created = Counter(
            "gradelab_submissions_created", "Submissions accepted", registry=self.registry
        )

    def watch_states(self, counts: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_StateCollector(counts))
