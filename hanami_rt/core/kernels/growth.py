"""Creating and freeing sections: where the network's structure grows and shrinks."""

from __future__ import annotations

import numpy as np

from hanami_rt.core.kernels.flags import jit
from hanami_rt.core.kernels.rng import next_below, next_float
from hanami_rt.core.kernels.state import (
    BLOCK,
    FREE_COUNT,
    HIGH_WATER,
    MAX_SECTIONS_PER_NEURON,
    State,
)


@jit
def free_rows(st: State) -> int:
    """How many sections can still be created without growing the arrays."""
    return int(st.sec_source.shape[0] - st.counters[HIGH_WATER] + st.counters[FREE_COUNT])


@jit
def new_section(st: State, neuron: int, brick: int, offset: float) -> int:
    """Append an empty section to `neuron`'s chain in a random block of a possible target.

    The target brick is drawn by the template's probabilities (nearer is likelier), the block
    uniformly. Returns the new row, or -1 when the neuron owns the maximum or no row is free.
    """
    if st.section_count[neuron] >= MAX_SECTIONS_PER_NEURON or free_rows(st) == 0:
        return -1
    u = next_float(st.rng)
    last = st.target_start[brick + 1] - 1
    chosen = st.target_brick[last]
    for k in range(st.target_start[brick], last):
        if u < st.target_cumulative[k]:
            chosen = st.target_brick[k]
            break
    first = st.brick_start[chosen]
    size = st.brick_start[chosen + 1] - first
    block = next_below(st.rng, (size + BLOCK - 1) // BLOCK)
    if st.counters[FREE_COUNT] > 0:
        st.counters[FREE_COUNT] -= 1
        row = st.free_sections[st.counters[FREE_COUNT]]
    else:
        row = st.counters[HIGH_WATER]
        st.counters[HIGH_WATER] += 1
    st.sec_source[row] = neuron
    st.sec_brick[row] = chosen
    st.sec_block[row] = first + block * BLOCK
    st.sec_block_size[row] = min(BLOCK, size - block * BLOCK)
    st.sec_offset[row] = np.float32(offset)
    st.sec_next[row] = -1
    st.sec_length[row] = 0
    st.sec_walked[row] = 0
    head = st.first_section[neuron]
    if head < 0:
        st.first_section[neuron] = row
    else:
        while st.sec_next[head] >= 0:
            head = st.sec_next[head]
        st.sec_next[head] = row
    st.section_count[neuron] += 1
    return int(row)


@jit
def free_section(st: State, row: int) -> None:
    """Unlink an empty section from its source's chain and put its row on the free stack."""
    neuron = st.sec_source[row]
    head = st.first_section[neuron]
    if head == row:
        st.first_section[neuron] = st.sec_next[row]
    else:
        while st.sec_next[head] != row:
            head = st.sec_next[head]
        st.sec_next[head] = st.sec_next[row]
    st.section_count[neuron] -= 1
    st.sec_source[row] = -1
    st.sec_next[row] = -1
    st.sec_length[row] = 0
    st.free_sections[st.counters[FREE_COUNT]] = row
    st.counters[FREE_COUNT] += 1
