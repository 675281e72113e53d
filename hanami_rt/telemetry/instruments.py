"""Every Prometheus instrument of hanami-rt, defined once and bound to a given registry.

Cardinality rule for the `cluster` label: its value is the cluster id (never a user-chosen
name); a process keeps series only for clusters it has touched and `forget_cluster` drops them
when a cluster is deleted or unloaded. At most `max_clusters` ids get their own series; work on
any further cluster is counted under cluster="_other" until an id is forgotten. The label `op`
is one of a fixed set (learn, infer, ...), `transport` is "ws" or "http", `route_or_op` is a
route template ("/v1/projects/{project}") or a websocket op, never a raw path.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["DURATION_BUCKETS", "OTHER_CLUSTER", "Instruments"]

DURATION_BUCKETS: tuple[float, ...] = (
    50e-6, 100e-6, 250e-6, 500e-6,
    1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
    1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""Request latency buckets from 50 us (a small infer) to 10 s (a big batch or a slow route)."""

OTHER_CLUSTER = "_other"
"""The `cluster` label value that absorbs clusters beyond `max_clusters`."""


class Instruments:
    """Holds every hanami_* instrument, created against one registry (a fresh one per test)."""

    def __init__(self, registry: CollectorRegistry, *, max_clusters: int = 1000) -> None:
        self.max_clusters = max_clusters
        self._clusters: set[str] = set()
        self._lock = threading.Lock()
        self.requests = Counter(
            "hanami_requests",
            "Requests handled, by transport (ws|http), route template or websocket op, status.",
            ["transport", "route_or_op", "status"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "hanami_request_duration_seconds",
            "Time from a request's arrival to its reply, by transport and route or op.",
            ["transport", "route_or_op"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.ws_connections = Gauge(
            "hanami_ws_connections", "Websocket connections open now.", registry=registry
        )
        self.ws_inflight_count = 0
        """Websocket requests received and not yet answered, kept by api/ws_meter.py on the
        event loop; the gauge reads it when scraped (a gauge's own inc and dec take a lock:
        ~0.3 us each, twice a request on the realtime path)."""
        self.ws_inflight = Gauge(
            "hanami_ws_inflight",
            "Websocket requests received and not yet answered.",
            registry=registry,
        )
        self.ws_inflight.set_function(lambda: self.ws_inflight_count)
        self.ws_routes = Counter(
            "hanami_ws_routes",
            "Websocket learns and infers by where they ran: inline (on the event loop), native "
            "(on a GIL-free native thread) or workers (on a worker thread).",
            ["route"],
            registry=registry,
        )
        self.ws_busy_poll = Counter(
            "hanami_ws_busy_poll_seconds",
            "Seconds the event loop polled instead of sleeping, waiting for the next websocket "
            "request (setting ws_busy_poll_us; CPU spent to answer sooner).",
            registry=registry,
        )
        self.cluster_neurons = Gauge(
            "hanami_cluster_neurons", "Neurons in a cluster.", ["cluster"], registry=registry
        )
        self.cluster_synapses = Gauge(
            "hanami_cluster_synapses", "Synapses in a cluster.", ["cluster"], registry=registry
        )
        self.cluster_bytes = Gauge(
            "hanami_cluster_bytes",
            "Memory held by a cluster's arrays.",
            ["cluster"],
            registry=registry,
        )
        self.cluster_samples_learned = Counter(
            "hanami_cluster_samples_learned",
            "Samples a cluster has learned.",
            ["cluster"],
            registry=registry,
        )
        self.cluster_samples_inferred = Counter(
            "hanami_cluster_samples_inferred",
            "Samples a cluster has inferred.",
            ["cluster"],
            registry=registry,
        )
        self.cluster_energy = Counter(
            "hanami_cluster_energy_joules",
            "Energy attributed to a cluster's work by its share of CPU time; "
            'source="rapl" is measured package energy, source="estimated" is CPU time '
            "times a configured watts-per-core figure.",
            ["cluster", "op", "source"],
            registry=registry,
        )
        self.tasks = Gauge("hanami_tasks", "Dataset tasks by state.", ["state"], registry=registry)
        self.task_samples = Counter(
            "hanami_task_samples",
            "Samples processed by dataset tasks, by task type (train|request).",
            ["type"],
            registry=registry,
        )
        self.cpufreq_regulated = Gauge(
            "hanami_cpufreq_regulated",
            "1 while the regulator holds a CPU's scaling_max_freq below its maximum, else 0.",
            ["cpu"],
            registry=registry,
        )
        self.cpufreq_changes = Counter(
            "hanami_cpufreq_changes",
            "Times the regulator lowered (idle) or restored (load) the CPUs' scaling_max_freq.",
            ["direction"],
            registry=registry,
        )

    def task_state_changed(self, previous: str | None, current: str | None) -> None:
        """A dataset task moved from state `previous` to `current` (None: did not exist / is
        gone), e.g. (None, "queued"), ("queued", "running"), ("running", "done")."""
        if previous is not None:
            self.tasks.labels(previous).dec()
        if current is not None:
            self.tasks.labels(current).inc()

    def task_samples_processed(self, task_type: str, samples: int) -> None:
        """A dataset task of `task_type` ("train" or "request") got through `samples` more."""
        if samples > 0:
            self.task_samples.labels(task_type).inc(samples)

    def known_clusters(self) -> set[str]:
        """Cluster ids that hold a series slot now."""
        with self._lock:
            return set(self._clusters)

    def cluster_label(self, cluster_id: str) -> str:
        """The `cluster` label value for `cluster_id`, applying the cardinality rule above."""
        with self._lock:
            if cluster_id in self._clusters:
                return cluster_id
            if len(self._clusters) < self.max_clusters:
                self._clusters.add(cluster_id)
                return cluster_id
            return OTHER_CLUSTER

    def set_cluster_size(self, cluster_id: str, neurons: int, synapses: int, nbytes: int) -> None:
        """Record a cluster's current size (after growth or load)."""
        label = self.cluster_label(cluster_id)
        if label == OTHER_CLUSTER:
            return  # sizes of many clusters cannot be summed meaningfully into one gauge
        self.cluster_neurons.labels(label).set(neurons)
        self.cluster_synapses.labels(label).set(synapses)
        self.cluster_bytes.labels(label).set(nbytes)

    def forget_cluster(self, cluster_id: str) -> None:
        """Drop every series of a deleted or unloaded cluster and free its slot."""
        with self._lock:
            if cluster_id not in self._clusters:
                return
            self._clusters.discard(cluster_id)
        for gauge in (self.cluster_neurons, self.cluster_synapses, self.cluster_bytes):
            _remove(gauge, cluster_id)
        for counter in (self.cluster_samples_learned, self.cluster_samples_inferred):
            _remove(counter, cluster_id)
        # Energy series carry two more labels; drop every child whose cluster matches.
        for labels in _children(self.cluster_energy):
            if labels[0] == cluster_id:
                _remove(self.cluster_energy, *labels)


def _children(metric: Counter) -> list[tuple[str, ...]]:
    """Label tuples of a metric's existing children (prometheus_client has no public list)."""
    return [
        tuple(sample.labels[name] for name in ("cluster", "op", "source"))
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    ]


def _remove(metric: Counter | Gauge, *labels: str) -> None:
    try:
        metric.remove(*labels)
    except KeyError:
        pass
