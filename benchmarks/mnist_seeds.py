"""MNIST over several seeds: accuracy is judged as a mean, time as a median (noisy machine).

    python benchmarks/mnist_seeds.py --seeds 6

Prints one JSON line per run, then one summary line.
"""

import argparse
import json
import statistics

from hanami_rt.bench import add_mnist_arguments, measure_mnist

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    add_mnist_arguments(parser)
    parser.add_argument("--seeds", type=int, default=6, help="runs with seeds 0..N-1")
    args = parser.parse_args()
    runs = []
    for seed in range(args.seeds):
        args.seed = seed
        runs.append(measure_mnist(args))
        print(json.dumps(runs[-1]))
    accuracy = [float(str(run["test_accuracy"])) for run in runs]
    train = [float(str(run["train_seconds"])) for run in runs]
    summary = {
        "benchmark": "mnist_seeds",
        "seeds": args.seeds,
        "test_accuracy": accuracy,
        "mean_test_accuracy": round(statistics.mean(accuracy), 4),
        "median_train_seconds": round(statistics.median(train), 4),
        "median_test_seconds": round(
            statistics.median(float(str(r["test_seconds"])) for r in runs), 4
        ),
    }
    print(json.dumps(summary))
