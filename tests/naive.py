"""A slow, obviously correct reference of the growing network, written from ALGORITHM.md.

Plain Python objects (a list of sections per neuron, a list of synapses per section) and
numpy float32 scalars, so every rounding matches the kernels. It draws from the same
splitmix64 sequence in the same order, which lets tests compare it with the kernels exactly,
sample by sample. Where the kernels take a shortcut (the backward pass reuses the forward's
walk length), this file does the long way round, as the reference text says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hanami_rt.core.template import Template

f32 = np.float32
MASK = (1 << 64) - 1
SLOTS, BLOCK, MAX_SECTIONS = 63, 64, 8
MIN_P = f32(0.01)
RATE = f32(0.008)


class SplitMix64:
    """The generator the kernels use, in Python integers."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.u64() >> 11) * (1.0 / 9007199254740992.0)

    def below(self, n: int) -> int:
        return int(self.uniform() * n)


@dataclass
class Synapse:
    reach: np.float32  # the borders of the chain summed up to and including this synapse
    weight: np.float32
    target: int  # neuron within the block
    counter: int = 5


@dataclass
class Section:
    brick: int
    block: int  # first neuron of the block
    size: int
    offset: np.float32
    synapses: list[Synapse] = field(default_factory=list)


class NaiveNetwork:
    """One network; neurons are numbered over all bricks in template order."""

    def __init__(self, template: Template, seed: int) -> None:
        self.t = template
        self.rng = SplitMix64(seed)
        self.starts = [0]
        for brick in template.bricks:
            self.starts.append(self.starts[-1] + brick.number_of_neurons)
        n = self.starts[-1]
        self.potential = [f32(0)] * n
        self.inflow = [f32(0)] * n
        self.refractory = [1] * n
        self.delta = [f32(0)] * n
        self.sections: list[list[Section]] = [[] for _ in range(n)]
        self.samples = 0

    def neurons(self, brick: int) -> range:
        return range(self.starts[brick], self.starts[brick + 1])

    # ---- growth ---------------------------------------------------------------------------

    def grow(self, neuron: int, brick: int, offset: np.float32) -> None:
        if len(self.sections[neuron]) >= MAX_SECTIONS:
            return
        u = self.rng.uniform()
        targets = self.t.targets[brick]
        cumulative = np.cumsum([probability for _, probability in targets])
        chosen = targets[-1][0]
        for index in range(len(targets) - 1):
            if u < cumulative[index]:
                chosen = targets[index][0]
                break
        first = self.starts[chosen]
        size = self.starts[chosen + 1] - first
        block = self.rng.below((size + BLOCK - 1) // BLOCK)
        block_first = first + block * BLOCK
        self.sections[neuron].append(
            Section(chosen, block_first, min(BLOCK, size - block * BLOCK), f32(offset))
        )

    # ---- forward --------------------------------------------------------------------------

    def walk(self, section: Section, p: np.float32, learn: bool) -> np.float32:
        """Walk with potential p; returns what is left. A synapse whose reach (borders summed
        so far) is at most p passes its whole weight; the first one past p passes the share of
        its border that p covers, and the walk ends there."""
        synapses = section.synapses
        j, before = 0, f32(0)
        while j < len(synapses) and f32(p - before) > MIN_P:
            synapse = synapses[j]
            t = section.block + synapse.target
            if synapse.reach <= p:
                self.inflow[t] = self.inflow[t] + synapse.weight
                before = synapse.reach
                j += 1
                continue
            left = f32(p - before)
            border = f32(synapse.reach - before)
            if learn and j < SLOTS - 2 and border > f32(2) * left:
                border = border * f32(0.5)  # half of it goes to the next slot: its reach stays
                synapse.reach = f32(before + border)
            self.inflow[t] = self.inflow[t] + synapse.weight * (left / border)
            return f32(p - synapse.reach)
        left = f32(p - before)
        if learn and left > MIN_P and j == len(synapses) and j < SLOTS:
            bits = self.rng.u64()
            magnitude = f32((bits >> 11) * (0.1 / 9007199254740992.0))
            weight = -magnitude if bits & 1 else magnitude
            target = self.rng.below(section.size)
            synapses.append(Synapse(f32(p), weight, target))  # it takes all that is left
            t = section.block + target
            self.inflow[t] = self.inflow[t] + weight
            return f32(0)
        return left

    def forward(self, x: np.ndarray, learn: bool) -> np.ndarray:
        settings = self.t.settings
        out = []
        for b, brick in enumerate(self.t.bricks):
            if brick.kind == "input":
                at = sum(bb.number_of_neurons for bb in self.t.bricks[:b] if bb.input)
                for i, n in enumerate(self.neurons(b)):
                    self.potential[n] = max(f32(0), f32(x[at + i]))
            elif brick.kind == "hidden":
                for n in self.neurons(b):
                    v = self.potential[n] / f32(settings.neuron_cooldown)
                    self.refractory[n] -= 1
                    if self.refractory[n] <= 0:
                        v = v + self.inflow[n]
                        self.refractory[n] = settings.refractory_time
                    self.potential[n] = f32(math.log2(float(f32(1) + v))) if v > 0 else f32(0)
                    self.inflow[n] = f32(0)
            else:
                for n in self.neurons(b):
                    v = self.inflow[n]
                    o = f32(1.0 / (1.0 + math.exp(-float(v)))) if v != 0 else f32(0)
                    self.potential[n] = o
                    out.append(o)
                    self.inflow[n] = f32(0)
                continue
            for n in self.neurons(b):
                p0 = self.potential[n]
                if p0 <= 0:
                    continue
                if learn and brick.kind == "input" and not self.sections[n]:
                    self.grow(n, b, f32(0))
                chain = self.sections[n]
                for k, section in enumerate(list(chain)):
                    p = f32(p0 - section.offset)
                    if p <= MIN_P:
                        break
                    left = self.walk(section, p, learn)
                    if learn and left > MIN_P and k == len(chain) - 1:
                        self.grow(n, b, f32(p0 - left))
                        break
        if learn:
            for b, brick in enumerate(self.t.bricks):
                if brick.kind == "hidden":
                    for n in self.neurons(b):
                        if self.potential[n] > 0 and not self.sections[n]:
                            self.grow(n, b, f32(0))
        return np.array(out, dtype=np.float32)

    # ---- backward and reduction -----------------------------------------------------------

    def backward(self, y: np.ndarray) -> None:
        error = 0.0
        k = 0
        for b, brick in enumerate(self.t.bricks):
            if brick.kind == "output":
                for n in self.neurons(b):
                    self.delta[n] = f32(self.potential[n] - f32(y[k]))
                    error += abs(float(self.delta[n]))
                    k += 1
        if error <= 0.15:
            return
        reduction = self.t.settings.enable_reduction
        for b in reversed(range(len(self.t.bricks))):
            brick = self.t.bricks[b]
            if brick.kind == "output":
                continue
            for n in self.neurons(b):
                p0 = self.potential[n]
                if p0 <= 0:
                    self.delta[n] = f32(0)
                    continue
                total = f32(0)
                for section in self.sections[n]:
                    p = f32(p0 - section.offset)
                    if p <= MIN_P:
                        break
                    to_output = self.t.bricks[section.brick].kind == "output"
                    before = f32(0)
                    for synapse in section.synapses:  # the synapses the forward walk reached
                        if f32(p - before) <= MIN_P:
                            break
                        t = section.block + synapse.target
                        d = self.delta[t]
                        total = total + d * synapse.weight
                        synapse.weight = f32(synapse.weight - RATE * d)
                        fired = self.potential[t] > (0.5 if to_output else 0.0)
                        if reduction and synapse.counter < 10 and (synapse.weight > 0) == fired:
                            synapse.counter += 1
                        if synapse.reach > p:
                            break  # the partly used synapse was the walk's last
                        before = synapse.reach
                if brick.kind == "hidden":
                    self.delta[n] = f32(float(total) * math.exp2(-float(p0)) / math.log(2.0))

    def reduce(self) -> None:
        for chain in self.sections:
            for section in list(chain):
                kept: list[Synapse] = []
                before = total = f32(0)
                for j, synapse in enumerate(section.synapses):
                    border = f32(synapse.reach - before)
                    before = synapse.reach
                    if synapse.counter < 10:
                        synapse.counter -= 1
                        if synapse.counter == 0:
                            continue
                    # a kept synapse keeps its border; its reach drops by what was removed
                    total = before if len(kept) == j else f32(total + border)
                    synapse.reach = total
                    kept.append(synapse)
                if section.synapses and not kept:  # a section left empty is freed
                    chain.remove(section)
                section.synapses = kept

    def learn(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = self.forward(x, learn=True)
        self.backward(y)
        self.samples += 1
        if self.t.settings.enable_reduction and self.samples % 100 == 0:
            self.reduce()
        return out

    def infer(self, x: np.ndarray) -> np.ndarray:
        return self.infer_sequence(x[None, :])[0]

    def infer_sequence(self, rows: np.ndarray) -> np.ndarray:
        """Rows in a row, neuron state carried from one to the next, then put back."""
        saved = (list(self.potential), list(self.inflow), list(self.refractory))
        out = np.array([self.forward(x, learn=False) for x in rows])
        self.potential, self.inflow, self.refractory = saved
        return out
