"""The Network contract: growth, determinism, persistence, bad input, spiking, reduction."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hanami_rt.core import CheckpointError, InputError, Network, Template
from hanami_rt.core.checkpoint import MAGIC, VERSION
from hanami_rt.core.kernels.forward import update_hidden

SMALL = """version: 1
bricks:
    1,1,1
        input: x
        number_of_neurons: 8
    2,1,1
        number_of_neurons: 80
    3,1,1
        output: y
        number_of_neurons: 3
"""

TWO_WAY = """version: 1
settings:
    enable_reduction: true
bricks:
    1,1,1
        input: a
        number_of_neurons: 3
    1,2,1
        input: b
        number_of_neurons: 2
    2,2,1
        number_of_neurons: 20
    3,2,1
        output: c
        number_of_neurons: 2
    2,3,1
        output: d
        number_of_neurons: 1
"""


def data(rows: int, seed: int = 0, width: int = 8, outputs: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(rows, width)).astype(np.float32)
    x[rng.random((rows, width)) < 0.3] = 0
    y = np.eye(outputs, dtype=np.float32)[rng.integers(0, outputs, size=rows)]
    return x, y


def trained(seed: int = 1, rows: int = 150) -> Network:
    net = Network.from_template(SMALL, seed=seed)
    x, y = data(rows)
    net.learn_many(x, y)
    return net


# ---- growth -------------------------------------------------------------------------------


def test_a_new_network_has_neurons_and_nothing_else() -> None:
    stats = Network.from_template(SMALL).stats()
    assert stats["neurons"] == 8 + 80 + 3
    assert (stats["sections"], stats["synapses"], stats["samples_learned"]) == (0, 0, 0)
    assert stats["bytes"] > 0


def test_zero_input_creates_nothing() -> None:
    net = Network.from_template(SMALL)
    net.learn(np.zeros(8), [1, 0, 0])
    net.learn(-np.ones(8), [0, 1, 0])  # negative values count as 0
    stats = net.stats()
    assert (stats["sections"], stats["synapses"], stats["samples_learned"]) == (0, 0, 2)


def test_learning_grows_sections_and_synapses() -> None:
    net = trained()
    stats = net.stats()
    assert stats["sections"] > 8
    assert stats["synapses"] > stats["sections"]
    assert stats["samples_learned"] == 150


def walked(net: Network, neuron: int, p: float) -> int:
    """How many synapses of `neuron`'s first section a potential p reaches."""
    st = net.state
    row = st.first_section[neuron]
    count, before = 0, 0.0
    for reach in st.syn_reach[row, : st.sec_length[row]]:  # borders summed so far
        if p - before <= 0.01:
            break
        before = float(reach)
        count += 1
    return count


def test_a_stronger_input_reaches_a_longer_chain() -> None:
    net = Network.from_template(SMALL, seed=2)
    x = np.zeros(8, dtype=np.float32)
    for value in (100, 10, 10, 10, 100, 100, 3, 100):
        x[0] = value
        net.learn(x, [1, 0, 0])
    # the weak value 3 split the first border down to 6.25; the strong one goes on past it
    assert walked(net, 0, 3.0) == 1
    assert walked(net, 0, 100.0) >= 2


def test_section_arrays_grow_by_doubling() -> None:
    """A potential rising by 1 each sample adds one synapse a time; full sections chain on to
    new ones (up to 8 a neuron), so the section arrays must grow, each time by doubling."""
    few_sources = """version: 1
bricks:
    1,1,1
        input: x
        number_of_neurons: 16
    2,1,1
        number_of_neurons: 4
    3,1,1
        output: y
        number_of_neurons: 2
"""
    net = Network.from_template(few_sources, seed=3)
    capacities = [net.stats()["section_capacity"]]
    for value in range(1, 601):
        net.learn(np.full(16, value, dtype=np.float32), [1, 0])
        capacity = net.stats()["section_capacity"]
        if capacity != capacities[-1]:
            capacities.append(capacity)
    assert len(capacities) > 1, "the arrays must have grown for this test to show anything"
    assert all(b >= 2 * a for a, b in zip(capacities, capacities[1:], strict=False))
    assert capacities[-1] >= net.stats()["sections"] > 16  # chains of several sections


# ---- determinism and persistence ----------------------------------------------------------


def test_same_seed_and_inputs_give_the_same_bytes() -> None:
    assert trained(seed=5).to_bytes() == trained(seed=5).to_bytes()
    assert trained(seed=5).to_bytes() != trained(seed=6).to_bytes()


def test_learn_many_is_learn_row_by_row() -> None:
    x, y = data(120, seed=8)
    one = Network.from_template(SMALL, seed=9)
    for row, expected in zip(x, y, strict=True):
        one.learn(row, expected)
    many = Network.from_template(SMALL, seed=9)
    many.learn_many(x, y)
    assert one.to_bytes() == many.to_bytes()


def test_learn_returns_its_forward_outputs_and_repetition_lowers_the_error() -> None:
    net = trained()
    x, y = data(1, seed=10)
    errors = []
    for _ in range(80):
        out = net.learn(x[0], y[0])["y"]
        assert out.dtype == np.float32 and out.shape == (3,)
        errors.append(float(np.abs(out - y[0]).sum()))
    assert errors[-1] < errors[0] / 2


def test_infer_changes_nothing() -> None:
    net = trained()
    before = net.to_bytes()
    x, _ = data(20, seed=11)
    net.infer(x[0])
    net.infer_many(x)
    assert net.to_bytes() == before


def test_infer_many_equals_infer_without_carry_over() -> None:
    net = trained()
    x, _ = data(10, seed=12)
    many = net.infer_many(x)["y"]
    assert many.shape == (10, 3)
    for i, row in enumerate(x):
        assert np.array_equal(net.infer(row)["y"], many[i])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    net = trained()
    path = tmp_path / "net.hnm"
    net.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["net.hnm"]  # no temp file left behind
    loaded = Network.load(path)
    assert loaded.to_bytes() == net.to_bytes()
    x, y = data(40, seed=13)
    assert np.array_equal(loaded.infer_many(x)["y"], net.infer_many(x)["y"])
    loaded.learn_many(x, y)  # the generator state travelled too: learning goes on identically
    net.learn_many(x, y)
    assert loaded.to_bytes() == net.to_bytes()


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "net.hnm"
    Network.from_template(SMALL).save(path)
    net = trained()
    net.save(path)
    assert Network.load(path).to_bytes() == net.to_bytes()


def test_checkpoint_is_compact() -> None:
    net = trained()
    stats = net.stats()
    assert len(net.to_bytes()) < 2048 + 64 * stats["sections"] + 12 * stats["synapses"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "checksum"),
        (lambda b: b[:20], "truncated"),
        (lambda b: b[:-1], "checksum"),
        (lambda b: b + b"\0", "checksum"),
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "checksum"),
        (lambda b: b"NOTMAGIC" + b[8:], "magic"),
        (lambda b: MAGIC + (VERSION + 1).to_bytes(4, "little") + b[12:], "version"),
        (lambda b: b"", "truncated"),
    ],
)
def test_damaged_checkpoints_are_refused(damage, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CheckpointError, match=message):
        Network.from_bytes(damage(trained().to_bytes()))


def test_a_checkpoint_with_a_valid_checksum_but_bad_indices_is_refused() -> None:
    """A hand-made file must never send a kernel outside its arrays."""
    import hashlib

    from hanami_rt.core.checkpoint import dump

    net = trained()
    net.state.syn_target[0, 0] = 200  # outside its 64-neuron block
    with pytest.raises(CheckpointError, match="outside its block"):
        Network.from_bytes(dump(net))
    net = trained()
    net.state.sec_next[0] = 0  # a chain that loops onto itself
    with pytest.raises(CheckpointError, match="chain"):
        Network.from_bytes(dump(net))
    body = dump(trained())[:-32]
    assert Network.from_bytes(body + hashlib.sha256(body).digest()).stats()["synapses"] > 0


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "expected", "message"),
    [
        (np.zeros(7), [1, 0, 0], r"input brick 'x' takes shape \(8,\)"),
        (np.zeros((1, 8)), [1, 0, 0], "takes shape"),
        ({"nope": np.zeros(8)}, [1, 0, 0], "unknown input brick 'nope'"),
        ({}, [1, 0, 0], "missing input values for brick 'x'"),
        ([1, 2, 3, 4, np.nan, 0, 0, 0], [1, 0, 0], "index 4 is nan"),
        ([1, 2, 3, 4, 5, 6, np.inf, 0], [1, 0, 0], "index 6 is inf"),
        ([1e39, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0], "index 0 is inf"),
        (["a"] * 8, [1, 0, 0], "must be numbers"),
        (np.zeros(8), [1, 0], r"expected brick 'y' takes shape \(3,\)"),
        (np.zeros(8), [1, 0, 2], "outside \\[0, 1\\]"),
        (np.zeros(8), [1, 0, np.nan], "index 2 is nan"),
        (np.zeros(8), {"z": [1, 0, 0]}, "unknown expected brick 'z'"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(inputs, expected, message) -> None:  # type: ignore[no-untyped-def]
    net = trained()
    before = net.to_bytes()
    with pytest.raises(InputError, match=message):
        net.learn(inputs, expected)
    assert net.to_bytes() == before
    if not isinstance(expected, dict) and len(expected) == 3 and np.isfinite(expected).all():
        if max(expected) <= 1:
            with pytest.raises(InputError, match=message):
                net.infer(inputs)


def test_learn_many_refuses_bad_rows_and_changes_nothing() -> None:
    net = trained()
    before = net.to_bytes()
    x, y = data(5, seed=14)
    x[3, 2] = np.nan
    with pytest.raises(InputError, match="row 3, index 2 is nan"):
        net.learn_many(x, y)
    with pytest.raises(InputError, match="5 rows but expected has 4"):
        net.learn_many(data(5)[0], y[:4])
    assert net.to_bytes() == before


def test_several_bricks_need_a_mapping() -> None:
    net = Network.from_template(TWO_WAY, seed=1)
    with pytest.raises(InputError, match="2 input bricks"):
        net.learn(np.zeros(5), {"c": [1, 0], "d": [0]})
    out = net.learn({"a": [100, 0, 50], "b": [7, 0]}, {"c": [1, 0], "d": [1]})
    assert set(out) == {"c", "d"} and out["c"].shape == (2,) and out["d"].shape == (1,)
    many = net.infer_many({"a": np.ones((4, 3)), "b": np.ones((4, 2))})
    assert many["c"].shape == (4, 2) and many["d"].shape == (4, 1)


def test_learning_never_writes_to_its_arguments() -> None:
    net = trained()
    x, y = data(30, seed=15)
    x[0, 0] = -5
    x_copy, y_copy = x.copy(), y.copy()
    net.learn_many(x, y)
    net.learn(x[0], y[0])
    net.infer_many(x)
    assert np.array_equal(x, x_copy) and np.array_equal(y, y_copy)


def test_negative_inputs_count_as_zero() -> None:
    x, y = data(50, seed=16)
    negative = x.copy()
    negative[x == 0] = -3.5
    a = Network.from_template(SMALL, seed=4)
    a.learn_many(x, y)
    b = Network.from_template(SMALL, seed=4)
    b.learn_many(negative, y)
    assert a.to_bytes() == b.to_bytes()


def test_concurrent_infers_agree_with_serial_ones() -> None:
    net = trained()
    x, _ = data(200, seed=17)
    want = net.infer_many(x)["y"]
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(net.infer_many(x)["y"])) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(np.array_equal(r, want) for r in results)


# ---- spiking and reduction ----------------------------------------------------------------


def test_spiking_trace_matches_the_reference() -> None:
    """ALGORITHM.md: input 100, cooldown 1.5, refractory time 3, cycles 1..9."""
    potential = np.zeros(1, dtype=np.float32)
    inflow = np.zeros(1, dtype=np.float32)
    refractory = np.ones(1, dtype=np.int32)
    trace = []
    for _ in range(9):
        inflow[0] = 100
        update_hidden(potential, inflow, refractory, 0, 1, np.float32(1.5), np.int32(3))
        trace.append(round(float(potential[0]), 3))
    assert trace == [6.658, 2.443, 1.394, 6.671, 2.446, 1.395, 6.671, 2.446, 1.395]


def test_default_cooldown_carries_nothing_between_cycles() -> None:
    potential = np.array([6.6], dtype=np.float32)
    inflow = np.zeros(1, dtype=np.float32)
    refractory = np.ones(1, dtype=np.int32)
    update_hidden(potential, inflow, refractory, 0, 1, np.float32(1e9), np.int32(1))
    assert potential[0] == 0


def test_spiking_template_passes_potential_between_samples() -> None:
    spiking = SMALL.replace("version: 1\n", "version: 1\nsettings:\n    neuron_cooldown: 1.5\n")
    quiet = Network.from_template(SMALL, seed=1)
    lively = Network.from_template(spiking, seed=1)
    x = np.full(8, 50, dtype=np.float32)
    for net in (quiet, lively):
        net.learn(x, [1, 0, 0])
        net.learn(x, [1, 0, 0])
        net.learn(np.zeros(8), [1, 0, 0])  # silence: only carried potential is left
    hidden = slice(8, 88)
    assert quiet.state.potential[hidden].max() == 0
    assert lively.state.potential[hidden].max() > 0


def test_reduction_removes_unconfirmed_synapses() -> None:
    """Synapses used once and never confirmed disappear after a few reductions."""
    x, y = data(60, seed=18)
    quiet = x.copy()
    quiet[:, 7] = 0  # input 7 stays silent...
    rare = np.zeros(8, dtype=np.float32)
    rare[7] = 255  # ...but for this one sample
    reducing = Template.parse(SMALL.replace("version: 1\n", REDUCTION))
    nets = {on: Network.from_template(t, seed=6) for on, t in ((True, reducing), (False, SMALL))}
    for net in nets.values():
        net.learn_many(quiet, y)
        net.learn(rare, [0, 0, 1])
        assert net.state.first_section[7] >= 0
        for _ in range(10):
            net.learn_many(quiet, y)
    assert nets[False].state.first_section[7] >= 0, "without reduction the synapses stay"
    assert nets[True].state.first_section[7] == -1, "reduction freed the unused section"
    assert nets[True].stats()["synapses"] < nets[False].stats()["synapses"]


REDUCTION = "version: 1\nsettings:\n    enable_reduction: true\n"


def test_read_only_inputs_use_the_warmed_up_kernels() -> None:
    """Inputs decoded straight from a network frame are read-only views; they must learn and
    infer like writable ones and must not make numba compile a variant of any kernel that the
    warm-up did not (one-sample calls skip numba's dispatch, so the *_many ones show that)."""
    from hanami_rt.core import kernels, warm_up

    warm_up()
    net, plain = trained(), trained()
    jitted = [kernels.learn_rows, kernels.learn_forward, kernels.learn_backward]
    jitted += [kernels.infer_rows, kernels.first_invalid]
    variants = [len(kernel.signatures) for kernel in jitted]
    x, y = data(3, seed=19)
    frozen_x, frozen_y = (np.frombuffer(a.tobytes(), dtype=np.float32) for a in (x, y))
    assert not frozen_x.flags.writeable
    frozen_x, frozen_y = frozen_x.reshape(x.shape), frozen_y.reshape(y.shape)
    got = net.learn(frozen_x[0], frozen_y[0])["y"]
    np.testing.assert_array_equal(got, plain.learn(x[0], y[0])["y"])
    np.testing.assert_array_equal(net.infer(frozen_x[1])["y"], plain.infer(x[1])["y"])
    net.learn_many(frozen_x, frozen_y)
    plain.learn_many(x, y)
    np.testing.assert_array_equal(net.infer_many(frozen_x)["y"], plain.infer_many(x)["y"])
    assert net.to_bytes() == plain.to_bytes()
    assert [len(kernel.signatures) for kernel in jitted] == variants


def test_learn_split_is_learn_in_two_halves() -> None:
    """Outputs come from the forward half; the sample counts as learned only after finish;
    together the halves leave the same bytes as learn."""
    x, y = data(40, seed=21)
    whole, halves = trained(seed=4), trained(seed=4)
    for row, expected in zip(x, y, strict=True):
        outputs, finish = halves.learn_split(row, expected)
        learned = halves.stats()["samples_learned"]
        finish()
        assert halves.stats()["samples_learned"] == learned + 1
        np.testing.assert_array_equal(outputs["y"], whole.learn(row, expected)["y"])
    assert halves.to_bytes() == whole.to_bytes()


def test_a_stale_or_repeated_finish_raises_and_changes_nothing() -> None:
    net = trained()
    x, y = data(2, seed=22)
    _, first = net.learn_split(x[0], y[0])
    _, second = net.learn_split(x[1], y[1])
    with pytest.raises(RuntimeError, match="stale"):
        first()  # its forward pass is no longer the network's latest
    second()
    before = net.to_bytes()
    with pytest.raises(RuntimeError, match="already done"):
        second()
    assert net.to_bytes() == before
    _, third = net.learn_split(x[0], y[0])
    net.learn_many(x, y)
    before = net.to_bytes()
    with pytest.raises(RuntimeError, match="stale"):
        third()  # learn_many ran in between
    assert net.to_bytes() == before


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda a: a.astype(np.float64), id="float64"),
        pytest.param(lambda a: np.repeat(a, 2)[::2], id="strided"),
        pytest.param(
            lambda a: np.frombuffer(b"\0" + a.tobytes(), dtype=np.float32, offset=1), id="unaligned"
        ),
        pytest.param(lambda a: a.tolist(), id="list"),
        pytest.param(lambda a: {"x": a.tolist()}, id="mapping"),
    ],
)
def test_any_array_form_learns_like_a_contiguous_float32_row(convert) -> None:  # type: ignore[no-untyped-def]
    x, y = data(30, seed=23)
    plain, other = trained(seed=2), trained(seed=2)
    for row, expected in zip(x, y, strict=True):
        want = plain.learn(row, expected)["y"]
        np.testing.assert_array_equal(other.learn(convert(row), expected)["y"], want)
    assert other.to_bytes() == plain.to_bytes()
    np.testing.assert_array_equal(other.infer(convert(x[0]))["y"], plain.infer(x[0])["y"])


def _set_seed(header: dict[str, Any], seed: object) -> None:
    header["seed"] = seed


def _set_first_shape(header: dict[str, Any], shape: list[int]) -> None:
    header["arrays"][0][2] = shape


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a vast section capacity is refused before any allocation
        (lambda h: h.update(capacity=10**9), "capacity"),
        (lambda h: h.update(capacity=float("inf")), "header is invalid"),
        (lambda h: _set_seed(h, -1), "seed"),
        (lambda h: _set_seed(h, 2**64), "seed"),
        (lambda h: _set_first_shape(h, [10**30]), "runs past the end"),
        (lambda h: _set_first_shape(h, [2**40] * 3), "runs past the end"),
    ],
)
def test_a_hand_made_header_is_refused(edit, message) -> None:  # type: ignore[no-untyped-def]
    """Header values out of any range are a CheckpointError, never another exception."""
    import hashlib
    import json
    import struct

    data = trained().to_bytes()
    _, version, length = struct.unpack_from("<8sII", data)
    header = json.loads(data[16 : 16 + length])
    edit(header)
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    body = MAGIC + struct.pack("<II", version, len(head)) + head + data[16 + length : -32]
    with pytest.raises(CheckpointError, match=message):
        Network.from_bytes(body + hashlib.sha256(body).digest())


def test_forged_checkpoints_are_refused_or_safe() -> None:
    """Random byte changes behind a recomputed checksum (a forger's file): each one is refused
    with CheckpointError, or loads into a network that learns and infers without fault."""
    import hashlib

    net = trained(rows=60)
    original = bytearray(net.to_bytes()[:-32])
    rng = np.random.default_rng(20)
    x, y = data(20, seed=21)
    refused = loaded = 0
    for _ in range(300):
        forged = bytearray(original)
        for at in rng.integers(16, len(forged), size=int(rng.integers(1, 4))):
            forged[at] = int(rng.integers(0, 256))
        body = bytes(forged)
        try:
            copy = Network.from_bytes(body + hashlib.sha256(body).digest())
        except CheckpointError:
            refused += 1
            continue
        with np.errstate(all="ignore"):
            copy.infer_many(x)
            copy.learn_many(x, y)
        loaded += 1
    assert refused > 0 and loaded > 0


def test_a_copied_or_pickled_network_learns_on_its_own_arrays() -> None:
    """A copy must not reach the original's arrays through the table row its kernels use."""
    import copy
    import pickle

    x, y = data(12, seed=31)
    original = trained(seed=6)
    original.learn(x[0], y[0])  # the original has written its table row
    before = original.to_bytes()
    for clone in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        twin = Network.from_bytes(before)
        for row, expected in zip(x[1:], y[1:], strict=True):
            np.testing.assert_array_equal(
                clone.learn(row, expected)["y"], twin.learn(row, expected)["y"]
            )
        assert clone.to_bytes() == twin.to_bytes()
        assert original.to_bytes() == before  # untouched by the clone's learning
