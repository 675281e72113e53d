"""The backward pass: output error flows back through the synapses the forward pass walked."""

from __future__ import annotations

import math

import numpy as np

from hanami_rt.core.kernels.flags import jit
from hanami_rt.core.kernels.intrinsics import prefetch
from hanami_rt.core.kernels.state import (
    HIDDEN,
    LEARN_RATE,
    MAX_COUNTER,
    MIN_POTENTIAL,
    OUTPUT,
    REDUCTION,
    State,
)

_LN2 = math.log(2.0)
_SKIP_ERROR = 0.15  # a sample whose summed |output delta| is this small is already learned


@jit
def output_deltas(st: State, expected: np.ndarray) -> float:
    """Set the output deltas out - expected; returns the sum of their magnitudes.

    This is the cross-entropy gradient of a sigmoid output. The reference multiplies it by the
    sigmoid's slope out * (1 - out), which all but stops learning on confidently wrong outputs;
    docs/algorithm.md has the measured difference.
    """
    total = 0.0
    for brick in range(st.brick_kind.shape[0]):
        if st.brick_kind[brick] != OUTPUT:
            continue
        start = st.brick_start[brick]
        io = st.brick_io[brick] - start
        for n in range(start, st.brick_start[brick + 1]):
            o = st.potential[n]
            d = o - expected[io + n]
            st.delta[n] = d
            total += abs(d)
    return total


@jit
def backward(st: State, expected: np.ndarray) -> None:
    """Update the weights of the synapses walked forward, bricks in reverse order.

    Each section revisits exactly the `sec_walked` synapses its forward walk used (the same p
    over the same borders reaches the same slot). A hidden neuron's delta is what its sections
    sent back times the activation's slope 2**-potential / ln 2. With reduction on, a synapse is
    confirmed (counter + 1) when its weight's sign agrees with whether its target fired (hidden:
    potential > 0; output: output > 0.5); with reduction off counters are never read, so that
    bookkeeping is skipped. A target delta of 0 leaves a weight exactly as it was.
    """
    if output_deltas(st, expected) <= _SKIP_ERROR:
        return
    confirm = st.config[REDUCTION] != 0
    rate = np.float32(LEARN_RATE)
    for brick in range(st.brick_kind.shape[0] - 1, -1, -1):
        kind = st.brick_kind[brick]
        if kind == OUTPUT:
            continue
        # active neurons listed without a branch, as in forward.send; the others' delta is 0
        start, end = st.brick_start[brick], st.brick_start[brick + 1]
        active = np.empty(end - start, np.int32)
        count = 0
        for n in range(start, end):
            st.delta[n] = 0
            active[count] = n
            count += st.potential[n] > 0
        for a in range(count):
            n = active[a]
            p0 = st.potential[n]
            if a + 2 < count:  # as in forward: the section two neurons ahead, into L1
                ahead = st.first_section[active[a + 2]]
                if ahead >= 0:
                    prefetch(st.syn_weight, ahead, 0)
                    prefetch(st.syn_weight, ahead, 15)
                    prefetch(st.syn_target, ahead, 0)
            total = np.float32(0)
            row = st.first_section[n]
            while row >= 0 and p0 - st.sec_offset[row] > MIN_POTENTIAL:
                base = st.sec_block[row]
                if confirm:
                    to_output = st.brick_kind[st.sec_brick[row]] == OUTPUT
                    fired_above = np.float32(0.5 if to_output else 0.0)
                # `while` with sec_walked read at each step, not `for j in range(...)`: LLVM
                # then cannot unroll the loop by 8, whose unrolled part and remainder both
                # ended in a mispredicted branch for walks of ~8-16 synapses (~8 % slower)
                j = 0
                if kind == HIDDEN:
                    while j < st.sec_walked[row]:
                        d = st.delta[base + st.syn_target[row, j]]
                        w = st.syn_weight[row, j]
                        total += d * w
                        st.syn_weight[row, j] = w - rate * d
                        j += 1
                else:  # an input neuron's own delta is never used: only update the weights
                    while j < st.sec_walked[row]:
                        d = st.delta[base + st.syn_target[row, j]]
                        st.syn_weight[row, j] -= rate * d
                        j += 1
                if confirm:
                    for j in range(st.sec_walked[row]):
                        t = base + st.syn_target[row, j]
                        fired = st.potential[t] > fired_above
                        if (
                            st.syn_counter[row, j] < MAX_COUNTER
                            and (st.syn_weight[row, j] > 0) == fired
                        ):
                            st.syn_counter[row, j] += 1
                row = st.sec_next[row]
            if kind == HIDDEN:
                st.delta[n] = np.float32(total * math.exp2(-np.float64(p0)) / _LN2)
