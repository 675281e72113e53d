"""Per-cluster work accounting: the hook the service registry calls after every kernel run.

`WorkMeter` is called on the thread that ran the work (a worker, or the event loop for inline
websocket requests) with the thread CPU time the run took. It feeds energy attribution, counts
samples learned/inferred, and tells the frequency regulator the host is busy. Labelled children
are resolved once per (cluster, op) and cached, so a call costs two counter increments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hanami_rt.telemetry.energy import EnergyAttributor
from hanami_rt.telemetry.instruments import OTHER_CLUSTER, Instruments

__all__ = ["ClusterSizes", "WorkMeter"]

ClusterSizes = tuple[int, int, int]
"""(neurons, synapses, bytes) of one cluster."""


class WorkMeter:
    """Records (cluster, op, CPU seconds, samples) from any thread; see the module docstring."""

    def __init__(
        self,
        instruments: Instruments,
        attributor: EnergyAttributor,
        on_activity: Callable[[], None] | None = None,
    ) -> None:
        self._instruments = instruments
        self._attributor = attributor
        self._on_activity = on_activity
        self._samples: dict[tuple[str, str], Any] = {}
        self._counters = {
            "learn": instruments.cluster_samples_learned,
            "infer": instruments.cluster_samples_inferred,
        }

    def __call__(self, cluster_id: str, op: str, cpu_seconds: float, samples: int) -> None:
        """Work of `op` ("learn", "infer", ...) on a cluster took `cpu_seconds` of thread CPU
        time and got through `samples` samples."""
        self._attributor.record(cluster_id, op, cpu_seconds)
        if samples > 0:
            child = self._samples.get((cluster_id, op))
            if child is None:
                child = self._child(cluster_id, op)
            if child is not None:
                child.inc(samples)
        if self._on_activity is not None:
            self._on_activity()

    def _child(self, cluster_id: str, op: str) -> Any:
        counter = self._counters.get(op)
        if counter is None:
            return None
        label = self._instruments.cluster_label(cluster_id)
        child = counter.labels(label)
        if label != OTHER_CLUSTER:  # a later freed slot should give the cluster its own series
            self._samples[(cluster_id, op)] = child
        return child

    def refresh_clusters(self, sizes: Mapping[str, ClusterSizes]) -> None:
        """Set the size gauges of every live cluster and drop the series of clusters that are
        no longer live (deleted or unloaded); called at scrape time."""
        for gone in self._instruments.known_clusters() - sizes.keys():
            self.forget(gone)
        for cluster_id, (neurons, synapses, nbytes) in sizes.items():
            self._instruments.set_cluster_size(cluster_id, neurons, synapses, nbytes)

    def forget(self, cluster_id: str) -> None:
        """Drop a cluster's series, cached children and pending energy."""
        for op in self._counters:
            self._samples.pop((cluster_id, op), None)
        self._attributor.forget(cluster_id)
        self._instruments.forget_cluster(cluster_id)
