"""One online pass over MNIST; prints one JSON line (same as `hanami-rt bench mnist`)."""

import argparse

from hanami_rt.bench import add_mnist_arguments, run_mnist

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    add_mnist_arguments(parser)
    raise SystemExit(run_mnist(parser.parse_args()))
