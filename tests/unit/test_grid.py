"""Hexagon geometry: the 12 sides of a brick, the 9 forward sides and the forward walk."""

from __future__ import annotations

import itertools
import math

import pytest

from hanami_rt.core.grid import forward_distances, forward_sides, neighbours

# (x, y, z) cells to run the property checks on: both row parities, negative coordinates.
CELLS = list(itertools.product(range(-3, 4), range(-3, 4), range(-2, 3)))


def planar(x: int, y: int) -> tuple[float, float]:
    """Centre of cell (x, y) in a layer: odd rows shifted right by half a cell."""
    return (x + 0.5 * (y % 2), y * math.sqrt(3) / 2)


def test_twelve_neighbours_on_an_even_row() -> None:
    # Even row: the rows y-1 and y+1 are touched at x-1 and x.
    assert sorted(neighbours((5, 2, 3))) == sorted(
        [
            (4, 2, 3),
            (6, 2, 3),
            (4, 1, 3),
            (5, 1, 3),
            (4, 3, 3),
            (5, 3, 3),
            (5, 2, 4),
            (4, 3, 4),
            (5, 3, 4),
            (5, 2, 2),
            (4, 1, 2),
            (5, 1, 2),
        ]
    )


def test_twelve_neighbours_on_an_odd_row() -> None:
    # Odd row, shifted right: the rows y-1 and y+1 are touched at x and x+1.
    assert sorted(neighbours((5, 3, 3))) == sorted(
        [
            (4, 3, 3),
            (6, 3, 3),
            (5, 2, 3),
            (6, 2, 3),
            (5, 4, 3),
            (6, 4, 3),
            (5, 3, 4),
            (5, 4, 4),
            (6, 4, 4),
            (5, 3, 2),
            (5, 2, 2),
            (6, 2, 2),
        ]
    )


def test_negative_rows_follow_the_same_parity_rule() -> None:
    """y = -1 is odd (shifted right), y = -2 even, as for positive rows."""
    odd = set(neighbours((0, -1, 0)))
    assert {(0, -2, 0), (1, -2, 0), (0, 0, 0), (1, 0, 0)} <= odd
    even = set(neighbours((0, -2, 0)))
    assert {(-1, -3, 0), (0, -3, 0), (-1, -1, 0), (0, -1, 0)} <= even


@pytest.mark.parametrize("cell", CELLS[::7])
def test_neighbours_are_twelve_distinct_cells_split_six_three_three(cell) -> None:
    found = neighbours(cell)
    assert len(set(found)) == 12
    assert cell not in found
    by_layer = [n[2] - cell[2] for n in found]
    assert (by_layer.count(0), by_layer.count(1), by_layer.count(-1)) == (6, 3, 3)


@pytest.mark.parametrize("cell", CELLS[::5])
def test_layer_neighbours_are_at_unit_distance_on_the_hexagon_plane(cell) -> None:
    x, y, z = cell
    cx, cy = planar(x, y)
    for nx, ny, nz in neighbours(cell):
        if nz == z:
            px, py = planar(nx, ny)
            assert math.hypot(px - cx, py - cy) == pytest.approx(1.0)


def test_layer_above_and_below_are_same_cell_plus_two_cells_of_the_next_and_previous_row() -> None:
    for x, y, z in CELLS:
        above = {n for n in neighbours((x, y, z)) if n[2] == z + 1}
        below = {n for n in neighbours((x, y, z)) if n[2] == z - 1}
        layer = set(neighbours((x, y, z)))
        assert (x, y, z + 1) in above and (x, y, z - 1) in below
        assert {(nx, ny) for nx, ny, _ in above - {(x, y, z + 1)}} == {
            (nx, ny) for nx, ny, nz in layer if nz == z and ny == y + 1
        }
        assert {(nx, ny) for nx, ny, _ in below - {(x, y, z - 1)}} == {
            (nx, ny) for nx, ny, nz in layer if nz == z and ny == y - 1
        }


def test_neighbourhood_is_symmetric() -> None:
    """b is a neighbour of a exactly when a is a neighbour of b."""
    for a in CELLS:
        for b in neighbours(a):
            assert a in neighbours(b), (a, b)


@pytest.mark.parametrize("cell", CELLS[::3])
def test_forward_sides_are_nine_of_the_neighbours(cell) -> None:
    forward = forward_sides(cell)
    assert len(set(forward)) == 9
    assert set(forward) <= set(neighbours(cell))


@pytest.mark.parametrize("cell", CELLS[::3])
def test_forward_sides_in_a_layer_lie_on_the_plus_x_side_and_all_six_off_layer_cells_count(
    cell,
) -> None:
    x, y, z = cell
    in_layer = [s for s in forward_sides(cell) if s[2] == z]
    assert len(in_layer) == 3
    assert (x + 1, y, z) in in_layer
    for sx, sy, _ in in_layer:
        assert planar(sx, sy)[0] > planar(x, y)[0]
    off_layer = {s for s in neighbours(cell) if s[2] != z}
    assert off_layer <= set(forward_sides(cell))
    assert (x - 1, y, z) not in forward_sides(cell)


@pytest.mark.parametrize("start", [(0, 0, 0), (4, 3, -2)])
def test_forward_distance_one_is_exactly_the_forward_sides(start) -> None:
    assert forward_distances(start, 1) == dict.fromkeys(forward_sides(start), 1)


def test_forward_distances_exact_values_up_to_three() -> None:
    reach = forward_distances((0, 0, 0), 3)
    expected = {
        (1, 0, 0): 1,
        (0, 1, 0): 1,  # +x-side diagonal of an even row is the same x
        (-1, 1, 1): 1,  # a row-(y+1) cell of the layer above
        (2, 0, 0): 2,
        (1, 1, 0): 2,
        (0, 0, 2): 2,
        (3, 0, 0): 3,
        (0, 0, 3): 3,
        (0, 0, -3): 3,
        (2, 2, 0): 3,
    }
    assert {cell: reach.get(cell) for cell in expected} == expected


def test_forward_walk_may_come_back_behind_through_the_layers() -> None:
    """Up one layer and down again reaches (x-1, y): the walk only restricts in-layer steps."""
    reach = forward_distances((0, 0, 0), 2)
    assert reach[(-1, 0, 0)] == 2
    assert (-1, 0, 0) not in forward_distances((0, 0, 0), 1)


@pytest.mark.parametrize("start", [(0, 0, 0), (2, 1, 5)])
def test_forward_distances_never_include_the_start(start) -> None:
    # The start is reachable in 2 steps (up then down) but is not its own target.
    assert start not in forward_distances(start, 4)


@pytest.mark.parametrize("start", [(0, 0, 0), (3, 1, -1)])
@pytest.mark.parametrize("max_distance", [1, 2, 3])
def test_forward_distances_are_shortest_walks(start, max_distance) -> None:
    """Each cell at distance d has a predecessor at d-1 and none nearer."""
    reach = forward_distances(start, max_distance)
    assert set(reach.values()) == set(range(1, max_distance + 1))
    at = {0: {start}}
    for cell, distance in reach.items():
        at.setdefault(distance, set()).add(cell)
    for cell, distance in reach.items():
        assert any(cell in forward_sides(p) for p in at[distance - 1]), cell
        for nearer in range(distance - 1):
            assert not any(cell in forward_sides(p) for p in at[nearer]), cell
    # Everything one step from distance < max is reached (or is the start).
    for distance in range(max_distance):
        for p in at[distance]:
            for side in forward_sides(p):
                assert side == start or reach[side] <= distance + 1


def test_a_longer_walk_extends_a_shorter_one() -> None:
    three = forward_distances((1, 1, 1), 3)
    two = forward_distances((1, 1, 1), 2)
    assert {c: d for c, d in three.items() if d <= 2} == two
    assert len(two) < len(three)


@pytest.mark.parametrize("max_distance", [1, 2, 3])
def test_forward_walk_spans_one_layer_per_step(max_distance) -> None:
    layers = {z for _, _, z in forward_distances((0, 0, 0), max_distance)}
    assert layers == set(range(-max_distance, max_distance + 1))
