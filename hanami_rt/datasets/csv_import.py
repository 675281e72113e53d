"""CSV uploads -> one float32 .npy per column group, streamed in blocks with line numbers.

Header names group columns: `x_0 .. x_{N-1}` are the N-wide group `x` (one value per neuron of a
brick `x`), a plain name `x` is a 1-wide group (a 1-neuron brick, or the time-series layout
that feeds a sliding window). Every cell must be a finite number; errors name line and column.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from hanami_rt.datasets.idx_import import open_maybe_gzip
from hanami_rt.datasets.npy import NpyWriter
from hanami_rt.errors import ValidationError

_INDEXED = re.compile(r"^(?P<base>.+)_(?P<index>0|[1-9][0-9]*)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_BLOCK_ROWS = 2048


@dataclass(frozen=True)
class Group:
    """One column group: its name and the header positions of its columns, in index order."""

    name: str
    positions: tuple[int, ...]


def parse_header(names: list[str]) -> list[Group]:
    """Column groups from the header row, in order of first appearance; ValidationError
    naming the column when the header does not describe bricks."""
    if not names or names == [""]:
        raise ValidationError("line 1: the CSV header is empty; the first line names the columns")
    found: dict[str, dict[int, int]] = {}
    plain: set[str] = set()
    for position, raw in enumerate(names):
        name = raw.strip()
        if not _NAME.match(name):
            raise ValidationError(
                f"line 1, column {position + 1}: {raw!r} is not a column name (letters, digits, "
                "_ . -, starting with a letter or _)"
            )
        match = _INDEXED.match(name)
        base, index = (match["base"], int(match["index"])) if match else (name, -1)
        group = found.setdefault(base, {})
        if index in group or (index < 0 and group) or (index >= 0 and base in plain):
            raise ValidationError(f"line 1: column {name!r} clashes with another column {base!r}")
        if index < 0:
            plain.add(base)
        group[index] = position
    groups = []
    for base, members in found.items():
        if base in plain:
            groups.append(Group(base, (members[-1],)))
            continue
        missing = sorted(set(range(len(members))) - set(members))
        if missing:
            raise ValidationError(
                f"line 1: column group {base!r} has {len(members)} columns but no "
                f"{base}_{missing[0]}; number them {base}_0 .. {base}_{len(members) - 1}"
            )
        groups.append(Group(base, tuple(members[i] for i in range(len(members)))))
    return groups


def _lines(handle: BinaryIO) -> Iterator[str]:
    reader = codecs.getreader("utf-8")(handle)
    number = 0
    try:
        for number, line in enumerate(reader, start=1):  # noqa: B007 - used on error
            yield line
    except UnicodeDecodeError:
        raise ValidationError(f"line {number + 1}: the CSV is not UTF-8 text") from None


def _block_values(block: list[list[str]], lines: list[int], names: list[str]) -> np.ndarray:
    """The block as float32; ValidationError with the line and column of the first bad cell."""
    try:
        values = np.array(block, dtype=np.float64)
    except ValueError:
        for cells, line in zip(block, lines, strict=True):
            for position, cell in enumerate(cells):
                try:
                    float(cell)
                except ValueError:
                    raise ValidationError(
                        f"line {line}, column {names[position]!r}: {cell!r} is not a number"
                    ) from None
        raise
    finite = np.isfinite(values)
    if not finite.all():
        row, col = (int(i) for i in np.unravel_index(int(np.argmin(finite)), values.shape))
        raise ValidationError(
            f"line {lines[row]}, column {names[col]!r}: {block[row][col]!r} is not "
            "a finite number (NaN and infinity are refused)"
        )
    return values.astype(np.float32)


def import_csv(
    path: Path, open_output: Callable[[int], BinaryIO]
) -> tuple[int, list[tuple[str, int]]]:
    """Validate and convert; `open_output(i)` gives the file for group i. Returns (rows,
    [(group name, width)])."""
    with open_maybe_gzip(path) as handle:
        rows = csv.reader(_lines(handle))
        try:
            header = next(rows)
        except StopIteration:
            raise ValidationError(
                "the CSV file is empty; the first line names the columns"
            ) from None
        groups = parse_header(header)
        names = [name.strip() for name in header]
        writers = [NpyWriter(open_output(i), len(g.positions)) for i, g in enumerate(groups)]
        block: list[list[str]] = []
        lines: list[int] = []
        try:
            for cells in rows:
                if not cells or cells == [""]:
                    continue
                if len(cells) != len(names):
                    raise ValidationError(
                        f"line {rows.line_num}: {len(cells)} cells, but the header names "
                        f"{len(names)} columns"
                    )
                block.append(cells)
                lines.append(rows.line_num)
                if len(block) == _BLOCK_ROWS:
                    _flush(block, lines, names, groups, writers)
                    block, lines = [], []
        except csv.Error as exc:
            raise ValidationError(f"line {rows.line_num}: {exc}") from None
        if block:
            _flush(block, lines, names, groups, writers)
    total = writers[0].rows
    if total == 0:
        raise ValidationError("the CSV has a header but no data rows")
    for writer in writers:
        writer.finish()
    return total, [(g.name, len(g.positions)) for g in groups]


def _flush(
    block: list[list[str]],
    lines: list[int],
    names: list[str],
    groups: list[Group],
    writers: list[NpyWriter],
) -> None:
    values = _block_values(block, lines, names)
    for group, writer in zip(groups, writers, strict=True):
        writer.append(values[:, list(group.positions)])
