"""Hexagon-grid geometry: the 12 sides of a brick and the forward walk that finds its targets.

Layers are hexagon grids with odd rows shifted right by half a cell; each brick also touches
three cells of the layer above and three of the layer below.
"""

from __future__ import annotations

from collections.abc import Iterable

Position = tuple[int, int, int]


def _row_cells(x: int, y: int) -> tuple[int, int]:
    """The two x positions a cell of row y touches in the rows y-1 and y+1."""
    return (x, x + 1) if y % 2 else (x - 1, x)


def neighbours(position: Position) -> list[Position]:
    """All 12 sides: 6 in the layer, 3 above (z+1) and 3 below (z-1)."""
    x, y, z = position
    low, high = _row_cells(x, y)
    return [
        (x - 1, y, z),
        (x + 1, y, z),
        (low, y - 1, z),
        (high, y - 1, z),
        (low, y + 1, z),
        (high, y + 1, z),
        (x, y, z + 1),
        (low, y + 1, z + 1),
        (high, y + 1, z + 1),
        (x, y, z - 1),
        (low, y - 1, z - 1),
        (high, y - 1, z - 1),
    ]


def forward_sides(position: Position) -> list[Position]:
    """The sides a signal may travel through: +x, the two +x-side diagonals, layers z+-1."""
    x, y, z = position
    low, high = _row_cells(x, y)
    return [
        (x + 1, y, z),
        (high, y - 1, z),
        (high, y + 1, z),
        (x, y, z + 1),
        (low, y + 1, z + 1),
        (high, y + 1, z + 1),
        (x, y, z - 1),
        (low, y - 1, z - 1),
        (high, y - 1, z - 1),
    ]


def forward_distances(start: Position, max_distance: int) -> dict[Position, int]:
    """Fewest forward steps (1..max_distance) from `start` to every cell within reach."""
    distances: dict[Position, int] = {}
    frontier: Iterable[Position] = [start]
    for step in range(1, max_distance + 1):
        reached: list[Position] = []
        for cell in frontier:
            for side in forward_sides(cell):
                if side != start and side not in distances:
                    distances[side] = step
                    reached.append(side)
        frontier = reached
    return distances
