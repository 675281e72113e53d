"""The numba kernels against the naive reference (tests/naive.py), sample by sample, exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hanami_rt.core import Network, Template
from hanami_rt.core.kernels.state import FREE_COUNT, HIGH_WATER, SYNAPSES
from tests.naive import NaiveNetwork

TEMPLATES = {
    "one hidden brick": """version: 1
bricks:
    1,1,1
        input: x
        number_of_neurons: 12
    2,1,1
        number_of_neurons: 70
    3,1,1
        output: y
        number_of_neurons: 4
""",
    "reduction": """version: 1
settings:
    enable_reduction: true
bricks:
    1,1,1
        input: x
        number_of_neurons: 12
    2,1,1
        number_of_neurons: 30
    3,1,1
        output: y
        number_of_neurons: 3
""",
    "spiking": """version: 1
settings:
    neuron_cooldown: 1.5
    refractory_time: 3
bricks:
    1,1,1
        input: x
        number_of_neurons: 10
    2,1,1
        number_of_neurons: 20
    3,1,1
        output: y
        number_of_neurons: 3
""",
    "two inputs, two outputs, distance 2, two layers": """version: 1
settings:
    max_connection_distance: 2
    enable_reduction: true
bricks:
    1,1,1
        input: a
        number_of_neurons: 5
    1,2,1
        input: b
        number_of_neurons: 4
    2,1,1
        number_of_neurons: 20
    2,2,2
        number_of_neurons: 20
    3,1,1
        output: c
        number_of_neurons: 2
    3,2,1
        output: d
        number_of_neurons: 3
""",
}


def chains(net: Network) -> list[list[tuple[Any, ...]]]:
    """Each neuron's sections as (brick, block, size, offset, synapses) tuples."""
    st = net.state
    result = []
    for n in range(st.potential.shape[0]):
        chain = []
        row = int(st.first_section[n])
        while row >= 0:
            length = int(st.sec_length[row])
            synapses = [
                (
                    float(st.syn_reach[row, j]),
                    float(st.syn_weight[row, j]),
                    int(st.syn_target[row, j]),
                    int(st.syn_counter[row, j]),
                )
                for j in range(length)
            ]
            chain.append(
                (
                    int(st.sec_brick[row]),
                    int(st.sec_block[row]),
                    int(st.sec_block_size[row]),
                    float(st.sec_offset[row]),
                    synapses,
                )
            )
            row = int(st.sec_next[row])
        result.append(chain)
    return result


def naive_chains(net: NaiveNetwork) -> list[list[tuple[Any, ...]]]:
    return [
        [
            (
                s.brick,
                s.block,
                s.size,
                float(s.offset),
                [(float(y.reach), float(y.weight), y.target, y.counter) for y in s.synapses],
            )
            for s in chain
        ]
        for chain in net.sections
    ]


def samples(template: Template, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw inputs (mostly 0..255, some silent, a few strong) and one-hot expectations."""
    rng = np.random.default_rng(seed)
    width = sum(b.number_of_neurons for b in template.bricks if b.input)
    outputs = sum(b.number_of_neurons for b in template.bricks if b.output)
    x = rng.integers(0, 256, size=(count, width)).astype(np.float32)
    x[rng.random((count, width)) < 0.4] = 0
    x[rng.random((count, width)) < 0.02] *= 40
    y = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, size=count)]
    return x, y


def by_brick(layout: dict[str, int], row: np.ndarray) -> dict[str, np.ndarray]:
    """Concatenated values (`row`, or rows) cut into the bricks of `layout`, in order."""
    values, at = {}, 0
    for name, size in layout.items():
        values[name] = row[..., at : at + size]
        at += size
    return values


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_kernels_match_the_naive_reference_step_by_step(name: str) -> None:
    template = Template.parse(TEMPLATES[name])
    net = Network.from_template(template, seed=7)
    naive = NaiveNetwork(template, seed=7)
    x, y = samples(template, 260, seed=3)
    for i in range(len(x)):
        got = net.learn(by_brick(net.input_bricks, x[i]), by_brick(net.output_bricks, y[i]))
        want = naive.learn(x[i], y[i])
        assert np.array_equal(np.concatenate(list(got.values())), want), f"sample {i}"
        if i % 13 == 0 or i in (99, 100, 199, 200):
            assert chains(net) == naive_chains(naive), f"structure differs after sample {i}"
            assert np.array_equal(net.state.potential, np.array(naive.potential))
            assert int(net.state.rng[0]) == naive.rng.state
    assert chains(net) == naive_chains(naive)
    probe = x[:20]
    many = net.infer_many(by_brick(net.input_bricks, probe))
    assert np.array_equal(np.hstack(list(many.values())), naive.infer_sequence(probe))
    for row in probe:
        got = net.infer(by_brick(net.input_bricks, row))
        assert np.array_equal(np.concatenate(list(got.values())), naive.infer(row))


@pytest.mark.parametrize("name", ["reduction", "one hidden brick"])
def test_bookkeeping_counters_match_the_arrays(name: str) -> None:
    template = Template.parse(TEMPLATES[name])
    net = Network.from_template(template, seed=1)
    x, y = samples(template, 250, seed=5)
    net.learn_many(x, y)
    st = net.state
    high = int(st.counters[HIGH_WATER])
    live = st.sec_source[:high] >= 0
    assert int(st.counters[SYNAPSES]) == int(st.sec_length[:high][live].sum())
    assert int(st.counters[FREE_COUNT]) == int((~live).sum())
    assert net.stats()["synapses"] == int(st.counters[SYNAPSES])
