"""The checkpoint format: versioned, checksummed, compact, and written atomically.

    magic "HNMRTNET" | u32 version | u32 header length | header (JSON) | payload | sha256

The header holds the template, the seed, the section capacity and the list of arrays (name,
dtype, shape); the payload their little-endian bytes. Section arrays are cut at the high-water
mark and synapses stored only up to each section's length. The SHA-256 covers everything
before it. Loading checks the checksum first, then that every index points where it may, so a
damaged or hand-made file is refused whole and never reaches a kernel.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from hanami_rt.core.errors import CheckpointError, CoreError
from hanami_rt.core.kernels.state import (
    FREE_COUNT,
    HIGH_WATER,
    MAX_SECTIONS_PER_NEURON,
    SLOTS,
    SYNAPSES,
    State,
)
from hanami_rt.core.template import Template

if TYPE_CHECKING:
    from hanami_rt.core.network import Network

MAGIC = b"HNMRTNET"
VERSION = 2  # 2: borders stored as reach (summed along the chain)
_PREFIX = struct.Struct("<8sII")
_DIGEST = 32

_NEURON_FIELDS = ("potential", "refractory", "first_section", "section_count")
_ROW_FIELDS = (
    "sec_source",
    "sec_brick",
    "sec_block",
    "sec_block_size",
    "sec_offset",
    "sec_next",
    "sec_length",
)
_SLOT_FIELDS = ("syn_reach", "syn_weight", "syn_target", "syn_counter")


def dump(network: Network) -> bytes:
    """Serialise `network` (see the module docstring for the layout)."""
    st = network.state
    high = int(st.counters[HIGH_WATER])
    used = np.arange(SLOTS) < st.sec_length[:high, None]
    arrays: dict[str, np.ndarray] = {
        "counters": st.counters,
        "rng": st.rng,
        **{name: getattr(st, name) for name in _NEURON_FIELDS},
        **{name: getattr(st, name)[:high] for name in _ROW_FIELDS},
        "free_sections": st.free_sections[: int(st.counters[FREE_COUNT])],
        **{name: getattr(st, name)[:high][used] for name in _SLOT_FIELDS},
    }
    header = {
        "template": network.template.to_dict(),
        "seed": network.seed,
        "capacity": int(st.sec_source.shape[0]),
        "arrays": [[name, a.dtype.str, list(a.shape)] for name, a in arrays.items()],
    }
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    body = b"".join(
        [_PREFIX.pack(MAGIC, VERSION, len(head)), head]
        + [
            np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
            for a in arrays.values()
        ]
    )
    return body + hashlib.sha256(body).digest()


def parse(data: bytes) -> Network:
    """Rebuild a Network from `dump`'s bytes, or raise CheckpointError saying what is wrong."""
    from hanami_rt.core.network import Network, _empty_state

    if len(data) < _PREFIX.size + _DIGEST:
        raise CheckpointError(f"checkpoint is truncated: only {len(data)} bytes")
    magic, version, head_length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise CheckpointError("not a hanami-rt checkpoint (wrong magic bytes)")
    if version != VERSION:
        raise CheckpointError(
            f"checkpoint format version {version} is not supported "
            f"(this server reads version {VERSION})"
        )
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise CheckpointError("checkpoint is corrupted or truncated (checksum mismatch)")
    try:
        header = json.loads(body[_PREFIX.size : _PREFIX.size + head_length])
        template = Template.from_dict(header["template"])
        seed = int(header["seed"])
        if not 0 <= seed < 2**64:
            raise CheckpointError(f"checkpoint seed {seed} is outside [0, 2**64)")
        capacity = int(header["capacity"])
        arrays = _read_arrays(body, _PREFIX.size + head_length, header["arrays"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # Overflow: int(1e400)
        if isinstance(exc, CheckpointError):
            raise
        reason = exc.args[0] if isinstance(exc, CoreError) else repr(exc)
        raise CheckpointError(f"checkpoint header is invalid: {reason}") from None
    high = arrays["sec_source"].shape[0] if "sec_source" in arrays else 0
    if not high <= capacity <= 4 * (high + template.source_neurons) + 64:
        raise CheckpointError(f"checkpoint capacity {capacity} does not fit its sections")
    st = _empty_state(template, seed, capacity)
    _fill(st, arrays, high)
    _check_structure(st, high)
    return Network(template, st, seed)


_DTYPES = {np.dtype(t).str: np.dtype(t) for t in ("<f4", "<f8", "<i4", "<i8", "<u8", "i1", "u1")}


def _read_arrays(body: bytes, at: int, specs: Any) -> dict[str, np.ndarray]:
    """The payload's arrays as the header lists them; only the dtypes this format writes."""
    if not isinstance(specs, list):
        raise CheckpointError("checkpoint header has no list of arrays")
    arrays: dict[str, np.ndarray] = {}
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 3 and spec[1] in _DTYPES):
            raise CheckpointError(f"checkpoint header lists an array it cannot read: {spec!r:.80}")
        name, kind, shape = str(spec[0]), _DTYPES[spec[1]], spec[2]
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise CheckpointError(f"checkpoint array {name!r} has an invalid shape")
        count = math.prod(shape)  # Python ints: a forged shape cannot overflow
        if at + count * kind.itemsize > len(body):
            raise CheckpointError(f"checkpoint array {name!r} runs past the end of the data")
        arrays[name] = (
            np.frombuffer(body, kind, count, at).reshape(shape).astype(kind.newbyteorder("="))
        )
        at += count * kind.itemsize
    if at != len(body):
        raise CheckpointError("checkpoint has trailing bytes after its arrays")
    return arrays


def _fill(st: State, arrays: dict[str, np.ndarray], high: int) -> None:
    """Copy the saved arrays into fresh state arrays, checking every shape and dtype; `high`
    is the number of section rows the file holds (already checked against the capacity)."""
    expected = set(
        ("counters", "rng", "free_sections") + _NEURON_FIELDS + _ROW_FIELDS + _SLOT_FIELDS
    )
    if set(arrays) != expected:
        raise CheckpointError("checkpoint does not hold the arrays of this format version")
    lengths = arrays["sec_length"]
    if lengths.shape != (high,) or ((lengths < 0) | (lengths > SLOTS)).any():
        raise CheckpointError("checkpoint has invalid section lengths")
    used = np.arange(SLOTS) < lengths[:, None]
    for name, saved in arrays.items():
        target = getattr(st, name)
        if saved.dtype != target.dtype:
            raise CheckpointError(f"checkpoint array {name!r} has dtype {saved.dtype}")
        if name in _SLOT_FIELDS:
            fits = saved.shape == (int(used.sum()),)
        elif name in _ROW_FIELDS:
            fits = saved.shape == (high,)
        elif name == "free_sections":
            fits = saved.ndim == 1 and saved.shape[0] <= high
        else:
            fits = saved.shape == target.shape
        if not fits:
            raise CheckpointError(f"checkpoint array {name!r} has the wrong shape")
        if name in _SLOT_FIELDS:
            target[:high][used] = saved
        else:
            target[: saved.shape[0]] = saved


def _check_structure(st: State, stored: int) -> None:
    """Refuse any index that would send a kernel outside its arrays (`stored`: section rows
    the file holds)."""
    neurons = st.potential.shape[0]
    high = int(st.counters[HIGH_WATER])
    free = int(st.counters[FREE_COUNT])
    if high != stored or (st.counters < 0).any():
        raise CheckpointError("checkpoint is inconsistent: its counters do not match its arrays")
    problems = []
    rows = slice(0, high)
    source = st.sec_source[rows]
    live = source >= 0
    free_rows = st.free_sections[:free]
    if not 0 <= free <= high or ((free_rows < 0) | (free_rows >= high)).any():
        problems.append("free-section stack out of range")
    elif set(free_rows.tolist()) != set(np.flatnonzero(~live).tolist()):
        problems.append("free-section stack does not match the free rows")
    if (source >= neurons).any():
        problems.append("section source out of range")
    bricks = st.brick_kind.shape[0]
    brick = st.sec_brick[rows][live]
    block = st.sec_block[rows][live]
    size = st.sec_block_size[rows][live]
    if ((brick < 0) | (brick >= bricks)).any():
        problems.append("section target brick out of range")
    elif (
        (size < 1)
        | (size > 64)
        | (block < st.brick_start[brick])
        | (block + size > st.brick_start[brick + 1])
    ).any():
        problems.append("section target block out of range")
    elif (st.syn_target[rows][live] >= size[:, None]).any():
        problems.append("synapse target outside its block")
    nxt = st.sec_next[rows]
    if ((nxt < -1) | (nxt >= high)).any():
        problems.append("section chain link out of range")
    first = st.first_section
    if ((first < -1) | (first >= high)).any():
        problems.append("neuron's first section out of range")
    if int(st.sec_length[rows].sum()) != int(st.counters[SYNAPSES]):
        problems.append("synapse count does not match the sections")
    if not problems:
        problems += _check_chains(st, high)
    if problems:
        raise CheckpointError("checkpoint is inconsistent: " + "; ".join(problems))


def _check_chains(st: State, high: int) -> list[str]:
    """Every live section lies on exactly its source's chain, each chain short and acyclic."""
    seen = np.zeros(high, dtype=bool)
    counts = st.section_count
    for neuron in np.flatnonzero((st.first_section >= 0) | (counts != 0)):
        row, steps = int(st.first_section[neuron]), 0
        while row >= 0:
            if seen[row] or st.sec_source[row] != neuron or steps >= MAX_SECTIONS_PER_NEURON:
                return ["section chains are broken"]
            seen[row] = True
            row, steps = int(st.sec_next[row]), steps + 1
        if steps != counts[neuron]:
            return ["section counts do not match the chains"]
    if not np.array_equal(seen, st.sec_source[:high] >= 0):
        return ["a live section is on no chain"]
    return []
