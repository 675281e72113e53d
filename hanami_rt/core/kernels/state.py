"""The flat arrays a network is made of, bundled in one NamedTuple that kernels take whole.

Neurons of all bricks are numbered consecutively in template order. A section is a chain of up
to SLOTS synapses from one source neuron into one block of at most BLOCK neurons; its synapses
live in row `section` of the [capacity, SLOTS] synapse arrays, filled from slot 0 up to
`sec_length`. Borders are stored summed along the chain (`syn_reach`). Free section rows are
kept on a stack.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

SLOTS = 63  # synapses per section
BLOCK = 64  # neurons per neuron block
MAX_SECTIONS_PER_NEURON = 8
MIN_POTENTIAL = np.float32(0.01)  # a walk goes on while more potential than this is left
LEARN_RATE = 0.008
NEW_COUNTER = 5  # active_counter of a new synapse
MAX_COUNTER = 10  # a synapse whose counter reached this is permanent
REDUCTION_INTERVAL = 100  # learned samples between two reductions
SPLIT_LIMIT = SLOTS - 2  # slots from here on never split their border

INPUT, HIDDEN, OUTPUT = 0, 1, 2

# indices into State.counters
HIGH_WATER, FREE_COUNT, SAMPLES_LEARNED, SYNAPSES = 0, 1, 2, 3
N_COUNTERS = 4

# indices into State.config
COOLDOWN, REFRACTORY, REDUCTION, RESERVE = 0, 1, 2, 3
N_CONFIG = 4


class State(NamedTuple):
    """Every array of one network; kernels mutate them in place, never reallocate."""

    # configuration and bookkeeping
    config: np.ndarray  # float64[N_CONFIG]
    counters: np.ndarray  # int64[N_COUNTERS]
    rng: np.ndarray  # uint64[1]
    # bricks (fixed by the template)
    brick_start: np.ndarray  # int32[bricks + 1]: first neuron of each brick
    brick_kind: np.ndarray  # int8[bricks]: INPUT, HIDDEN or OUTPUT
    brick_io: np.ndarray  # int32[bricks]: offset of an input/output brick in its row vector
    target_start: np.ndarray  # int32[bricks + 1]: slice of the two arrays below
    target_brick: np.ndarray  # int32[targets]: possible target bricks
    target_cumulative: np.ndarray  # float64[targets]: cumulative probabilities
    # neurons
    potential: np.ndarray  # float32[neurons]
    inflow: np.ndarray  # float32[neurons]: input gathered during the current cycle
    refractory: np.ndarray  # int32[neurons]: cycles until the neuron takes input again
    delta: np.ndarray  # float32[neurons]: backward scratch
    first_section: np.ndarray  # int32[neurons]: head of the neuron's chain, -1 if none
    section_count: np.ndarray  # int8[neurons]
    # sections
    sec_source: np.ndarray  # int32[capacity]: source neuron, -1 for a free row
    sec_brick: np.ndarray  # int32[capacity]: target brick
    sec_block: np.ndarray  # int32[capacity]: first neuron of the target block
    sec_block_size: np.ndarray  # int32[capacity]
    sec_offset: np.ndarray  # float32[capacity]: potential consumed by earlier sections
    sec_next: np.ndarray  # int32[capacity]: next section of the chain, -1 if none
    sec_length: np.ndarray  # int32[capacity]: synapses in use
    sec_walked: np.ndarray  # int32[capacity]: synapses the last learning forward walked
    free_sections: np.ndarray  # int32[capacity]: stack of free rows below HIGH_WATER
    # synapses
    syn_reach: np.ndarray  # float32[capacity, SLOTS]: sum of the borders up to this synapse
    syn_weight: np.ndarray  # float32[capacity, SLOTS]
    syn_target: np.ndarray  # uint8[capacity, SLOTS]: neuron within the target block
    syn_counter: np.ndarray  # uint8[capacity, SLOTS]: active_counter


SECTION_FIELDS = (
    "sec_source",
    "sec_brick",
    "sec_block",
    "sec_block_size",
    "sec_offset",
    "sec_next",
    "sec_length",
    "sec_walked",
    "free_sections",
    "syn_reach",
    "syn_weight",
    "syn_target",
    "syn_counter",
)
