"""The dataset file layer without a server: streaming .npy writer, CSV header groups, and how
samples (rows and sliding windows) are cut from the column arrays."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hanami_rt.datasets.csv_import import parse_header
from hanami_rt.datasets.npy import NpyWriter
from hanami_rt.datasets.samples import CSV, IDX, Samples, plan_for
from hanami_rt.errors import ValidationError


def test_npy_writer_streams_a_loadable_array() -> None:
    handle = io.BytesIO()
    writer = NpyWriter(handle, 3)
    rows = np.arange(12, dtype=np.float64).reshape(4, 3)
    writer.append(rows[:1])
    writer.append(rows[1:])
    size = writer.finish()
    assert size == len(handle.getvalue())
    handle.seek(0)
    loaded = np.load(handle)
    assert loaded.dtype == np.dtype("<f4") and np.array_equal(loaded, rows)


def test_header_groups_keep_index_order() -> None:
    groups = parse_header(["y", "x_1", "x_0", "x_2"])
    assert [(g.name, g.positions) for g in groups] == [("y", (0,)), ("x", (2, 1, 3))]
    with pytest.raises(ValidationError, match="no x_1"):
        parse_header(["x_0", "x_2"])


def test_rows_and_sliding_windows() -> None:
    series = np.arange(6, dtype=np.float32).reshape(6, 1)
    target = (np.arange(6) % 2).astype(np.float32).reshape(6, 1)
    plan = plan_for(CSV, [("x", 1), ("y", 1)], 6, {"x": 3}, {"y": 1}, need_outputs=True)
    samples = Samples(plan, [series, target])
    assert samples.rows == 4  # windows ending at rows 2..5
    assert samples.inputs(0, 2)["x"].tolist() == [[0, 1, 2], [1, 2, 3]]
    assert samples.expected(0, 2)["y"].tolist() == [[0], [1]]  # the value of the window's end
    assert samples.inputs(3, 4)["x"].tolist() == [[3, 4, 5]]


def test_idx_labels_are_padded_to_the_output_brick() -> None:
    images = np.ones((2, 4), dtype=np.float32)
    labels = np.eye(3, dtype=np.float32)[[2, 0]]
    plan = plan_for(IDX, [("images", 4), ("labels", 3)], 2, {"in": 4}, {"out": 5}, True)
    samples = Samples(plan, [images, labels])
    assert samples.expected(0, 2)["out"].tolist() == [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]
    with pytest.raises(ValidationError, match="at least 3 neurons"):
        plan_for(IDX, [("images", 4), ("labels", 3)], 2, {"in": 4}, {"out": 2}, True)
    request_only = plan_for(IDX, [("images", 4), ("labels", 3)], 2, {"in": 4}, {"out": 2}, False)
    assert request_only.outputs == {}
