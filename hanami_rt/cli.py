"""The `hanami-rt` command line: `serve` runs the server, `bench` runs the benchmarks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hanami-rt", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    from hanami_rt.settings import describe

    settings_help = "settings (environment variable, default, meaning):\n" + "\n".join(
        f"  {env:<28} {default:<22} {doc}" for env, default, doc in describe()
    )
    serve = commands.add_parser(
        "serve",
        help="run the server until SIGINT/SIGTERM",
        epilog=settings_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default 11418)")
    serve.add_argument("--data-dir", type=Path, help="where all state lives (default ./data)")
    serve.add_argument("--config", type=Path, help="TOML settings file (or HANAMI_CONFIG)")

    bench = commands.add_parser("bench", help="run a benchmark and print one JSON line")
    benches = bench.add_subparsers(dest="bench", required=True)
    mnist = benches.add_parser("mnist", help="one online pass over MNIST, then the test set")
    from hanami_rt.bench import add_mnist_arguments

    add_mnist_arguments(mnist)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    args = _build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "bench":
        from hanami_rt.bench import run_mnist

        return run_mnist(args)
    raise AssertionError(f"unhandled command {args.command!r}")


def _serve(args: argparse.Namespace) -> int:
    """`hanami-rt serve`: settings from flags > HANAMI_* env > config file > defaults."""
    from hanami_rt.server import serve
    from hanami_rt.settings import SettingsError, load_settings

    overrides = {"host": args.host, "port": args.port, "data_dir": args.data_dir}
    try:
        settings = load_settings(args.config, overrides=overrides)
    except SettingsError as exc:
        print(f"hanami-rt: {exc}", file=sys.stderr)
        return 2
    return 0 if serve(settings) else 1
