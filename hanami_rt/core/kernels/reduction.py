"""Reduction: unconfirmed synapses fade and are removed, so one absurd input leaves no mark."""

from __future__ import annotations

import numpy as np

from hanami_rt.core.kernels.flags import jit
from hanami_rt.core.kernels.growth import free_section
from hanami_rt.core.kernels.state import HIGH_WATER, MAX_COUNTER, SYNAPSES, State

ZERO = np.float32(0)


@jit
def reduce(st: State) -> None:
    """Counters below MAX_COUNTER lose 1; at 0 the synapse goes and the chain moves up.

    A section left without synapses is freed, so its source neuron may grow a new one.
    """
    for row in range(st.counters[HIGH_WATER]):
        if st.sec_source[row] < 0:
            continue
        reach = st.syn_reach[row]
        weight = st.syn_weight[row]
        target = st.syn_target[row]
        counter = st.syn_counter[row]
        length = st.sec_length[row]
        kept = 0
        before = ZERO  # reach of the previous synapse, before compaction
        total = ZERO  # reach of the last kept synapse, after compaction
        for j in range(length):
            border = reach[j] - before
            before = reach[j]
            c = counter[j]
            if c < MAX_COUNTER:
                c -= 1
                if c == 0:
                    continue
            # the kept synapses keep their borders; their reach drops by what was removed
            total = before if kept == j else total + border
            reach[kept] = total
            weight[kept] = weight[j]
            target[kept] = target[j]
            counter[kept] = c
            kept += 1
        if kept < length:
            st.counters[SYNAPSES] -= length - kept
            st.sec_length[row] = kept
            for j in range(kept, length):
                reach[j] = 0
                weight[j] = 0
                target[j] = 0
                counter[j] = 0
            if kept == 0:
                free_section(st, row)
