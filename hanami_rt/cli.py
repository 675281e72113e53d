"""The `hanami-rt` command line: `serve` runs the server, `bench` runs the benchmarks."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hanami-rt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    bench = commands.add_parser("bench", help="run a benchmark and print one JSON line")
    benches = bench.add_subparsers(dest="bench", required=True)
    mnist = benches.add_parser("mnist", help="one online pass over MNIST, then the test set")
    from hanami_rt.bench import add_mnist_arguments

    add_mnist_arguments(mnist)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    if args.command == "bench":
        from hanami_rt.bench import run_mnist

        return run_mnist(args)
    raise AssertionError(f"unhandled command {args.command!r}")
