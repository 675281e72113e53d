"""The forward cycle: inputs in, sections walked brick by brick, outputs out; growth on learn.

The neuron arrays are parameters (not taken from `st`) so that inference can run on private
copies while the network's own neuron state belongs to learning.
"""

from __future__ import annotations

import math

import numpy as np

from hanami_rt.core.kernels.flags import jit
from hanami_rt.core.kernels.growth import new_section
from hanami_rt.core.kernels.intrinsics import prefetch
from hanami_rt.core.kernels.rng import next_below, next_u64
from hanami_rt.core.kernels.state import (
    COOLDOWN,
    HIDDEN,
    INPUT,
    MIN_POTENTIAL,
    NEW_COUNTER,
    REFRACTORY,
    SLOTS,
    SPLIT_LIMIT,
    SYNAPSES,
    State,
)

_ONE = np.uint64(1)
ZERO = np.float32(0)
_WEIGHT_SCALE = 0.1 / 9007199254740992.0  # 0.1 * 2**-53
_S11 = np.uint64(11)


@jit
def update_hidden(
    potential: np.ndarray,
    inflow: np.ndarray,
    refractory: np.ndarray,
    start: int,
    end: int,
    cooldown: np.float32,
    period: np.int32,
) -> None:
    """Hidden neurons start..end: cool down, take input when the refractory count runs out,
    then potential = log2(1 + max(0, potential)). With a small cooldown, potential carries
    over (spiking); a neuron takes input every `period` cycles.
    """
    for n in range(start, end):
        v = potential[n] / cooldown
        counter = refractory[n] - 1
        if counter <= 0:
            v += inflow[n]
            counter = period
        refractory[n] = counter
        # 1 + v in float32: a potential cooled below float32's resolution is gone, not kept
        potential[n] = np.float32(math.log2(np.float64(np.float32(1) + v))) if v > 0 else ZERO
        inflow[n] = 0


@jit
def update_outputs(
    potential: np.ndarray, inflow: np.ndarray, out: np.ndarray, start: int, end: int
) -> None:
    """Output neurons start..end: sigmoid of their input, or 0 when nothing arrived."""
    for n in range(start, end):
        v = inflow[n]
        o = np.float32(1.0 / (1.0 + math.exp(-np.float64(v)))) if v != 0 else np.float32(0)
        potential[n] = o
        out[n - start] = o
        inflow[n] = 0


@jit
def forward(
    st: State,
    potential: np.ndarray,
    inflow: np.ndarray,
    refractory: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    learn: bool,
) -> None:
    """One cycle of one sample `x` (all input bricks concatenated); writes `out`.

    Each brick's neurons are updated, then the sections of its active neurons are walked,
    adding to their targets' inflow. With potential p = source potential - section offset,
    each synapse passes weight * min(1, p_left / border) and consumes its border, while
    p_left > MIN_POTENTIAL; borders are kept summed (`syn_reach`, see docs/algorithm.md).
    Learning splits a border that is more than twice what is left (half goes to the next
    slot), adds a synapse (border = what is left, so it takes all of it) when p outlasts the
    chain, grows an input neuron's first section at once, and chains a new section to a full
    one that could not consume p. Splits and new synapses can only happen where a walk ends,
    so they are handled there.

    The walk is written out here, not in a kernel of its own: passing the State to a call
    costs an atomic reference count up and down for each of its arrays, ~0.3 us a call.
    """
    cooldown = np.float32(st.config[COOLDOWN])
    period = np.int32(st.config[REFRACTORY])
    active = np.empty(potential.shape[0], np.int32)
    for brick in range(st.brick_kind.shape[0]):
        start = st.brick_start[brick]
        end = st.brick_start[brick + 1]
        kind = st.brick_kind[brick]
        io = st.brick_io[brick]
        if kind == INPUT:
            for n in range(start, end):
                value = x[io + n - start]
                potential[n] = value if value > 0 else np.float32(0)
        elif kind == HIDDEN:
            update_hidden(potential, inflow, refractory, start, end, cooldown, period)
        else:
            update_outputs(potential, inflow, out[io : io + end - start], start, end)
            continue
        grow_now = learn and st.brick_kind[brick] == INPUT
        # the active neurons first, without a branch: which ones fire is as good as random,
        # and mispredicting that branch for every neuron cost ~10 % of a forward pass
        count = 0
        for n in range(start, end):
            active[count] = n
            count += potential[n] > 0
        for a in range(count):
            n = active[a]
            p0 = potential[n]
            if a + 2 < count:
                # the section two neurons ahead, while this one is walked: else its loads
                # wait until the mispredicted end of this walk is resolved (~4 % faster)
                ahead = st.first_section[active[a + 2]]
                if ahead >= 0:
                    prefetch(st.syn_reach, ahead, 0)
                    prefetch(st.syn_reach, ahead, 15)  # an input's walk is ~16 synapses
                    prefetch(st.syn_weight, ahead, 0)
                    prefetch(st.syn_weight, ahead, 15)
                    prefetch(st.syn_target, ahead, 0)
            if grow_now and st.first_section[n] < 0:
                new_section(st, n, brick, 0.0)
            row = st.first_section[n]
            while row >= 0:
                p = p0 - st.sec_offset[row]
                if p <= MIN_POTENTIAL:
                    break
                length = st.sec_length[row]
                base = st.sec_block[row]
                # syn_reach[j] is the potential consumed up to and including synapse j (the
                # sum of the borders so far), so a step depends on loads only, not on the
                # step before.
                j = 0
                prev = ZERO
                while j < length and p - prev > MIN_POTENTIAL:
                    reach = st.syn_reach[row, j]
                    if reach > p:
                        break  # synapse j is only partly used: the walk ends there
                    inflow[base + st.syn_target[row, j]] += st.syn_weight[row, j]
                    prev = reach
                    j += 1
                left = p - prev
                # The partly used synapse j, if any; only there can a border split. Done
                # without a branch (selects), since for hidden neurons whether there is one
                # is a coin toss. Slot k is read even when not in use, so its target is only
                # taken when used: a stale one may lie past a smaller block.
                partial = (left > MIN_POTENTIAL) & (j < length)
                k = min(j, SLOTS - 1)
                reach = st.syn_reach[row, k]
                b = reach - prev
                split = learn & partial & (j < SPLIT_LIMIT) & (b > np.float32(2) * left)
                # on a split, half the border moves to the next slot (whose reach stays)
                b = b * np.float32(0.5) if split else b
                reach = prev + b if split else reach
                if learn:
                    st.syn_reach[row, k] = reach
                t = st.syn_target[row, k] if partial else 0
                part = st.syn_weight[row, k] * (left / b)
                inflow[base + t] += part if partial else ZERO
                left = p - reach if partial else left  # < 0 after a partly used synapse
                j += partial
                if learn and left > MIN_POTENTIAL and j < SLOTS:
                    # potential left past the last synapse: a new one takes all of it
                    bits = next_u64(st.rng)
                    magnitude = np.float32(float(bits >> _S11) * _WEIGHT_SCALE)
                    w = -magnitude if bits & _ONE else magnitude
                    st.syn_reach[row, j] = p
                    st.syn_weight[row, j] = w
                    t = next_below(st.rng, st.sec_block_size[row])
                    st.syn_target[row, j] = t
                    st.syn_counter[row, j] = NEW_COUNTER
                    st.counters[SYNAPSES] += 1
                    inflow[base + t] += w
                    left = ZERO
                    j += 1
                    st.sec_length[row] = j
                if learn:
                    st.sec_walked[row] = j
                    if left > MIN_POTENTIAL and st.sec_next[row] < 0:
                        new_section(st, n, brick, p0 - left)
                        break
                row = st.sec_next[row]
    if learn:
        for brick in range(st.brick_kind.shape[0]):
            if st.brick_kind[brick] == HIDDEN:
                for n in range(st.brick_start[brick], st.brick_start[brick + 1]):
                    if potential[n] > 0 and st.first_section[n] < 0:
                        new_section(st, n, brick, 0.0)
