"""MNIST with hanami-rt: upload, train, request, check; then 100 live learns of one image.

    python examples/mnist.py --data tests/fixtures/mnist --url http://127.0.0.1:11418 \
        --user admin --project demo          (password from HANAMI_PASSWORD)

`--data` holds the four IDX files (train-images-idx3-ubyte[.gz] and friends).
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

import numpy as np

from hanami_client import Client, ConflictError

TEMPLATE = """version: 1
settings:
    neuron_cooldown: 100000000000.0
    refractory_time: 1
    max_connection_distance: 1
    enable_reduction: false
bricks:
    1,1,1
        input: pixels
        number_of_neurons: 784
    2,1,1
        number_of_neurons: 400
    3,1,1
        output: digit
        number_of_neurons: 10
"""


def idx_file(folder: Path, stem: str) -> Path:
    """The IDX file `stem`, plain or gzip-compressed."""
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"{stem}[.gz] is not in {folder}")


def first_image(images: Path) -> np.ndarray:
    """The first image of an IDX images file, raw pixels 0-255."""
    opener = gzip.open if images.suffix == ".gz" else open
    with opener(images, "rb") as f:
        f.read(16)
        return np.frombuffer(f.read(784), dtype=np.uint8).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("tests/fixtures/mnist"))
    parser.add_argument("--url", default=os.environ.get("HANAMI_URL", "http://127.0.0.1:11418"))
    parser.add_argument("--user", default="admin")
    parser.add_argument("--project", default="demo")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    train = (
        idx_file(args.data, "train-images-idx3-ubyte"),
        idx_file(args.data, "train-labels-idx1-ubyte"),
    )
    test = (
        idx_file(args.data, "t10k-images-idx3-ubyte"),
        idx_file(args.data, "t10k-labels-idx1-ubyte"),
    )

    with Client(args.url, timeout=60) as client:
        client.login(args.user, os.environ["HANAMI_PASSWORD"])
        try:
            client.projects.create(args.project, args.project)
        except ConflictError:
            pass
        client.switch_project(args.project)
        suffix = os.getpid()
        train_set = client.datasets.upload_mnist(f"mnist-train-{suffix}", *train)
        test_set = client.datasets.upload_mnist(f"mnist-test-{suffix}", *test)
        print(f"uploaded {train_set.rows} training and {test_set.rows} test images")
        cluster = client.clusters.create(f"mnist-{suffix}", TEMPLATE)

        trained = client.tasks.train(cluster.id, train_set.id, epochs=args.epochs)
        print(f"trained on {trained.samples_done} images")
        answered = client.tasks.request(cluster.id, test_set.id)
        check = client.results.check(answered.id, test_set.id)
        print(f"accuracy on the test images: {check.accuracy:.2%}")

        image = first_image(test[0])
        with client.session(cluster.id) as session:  # one output brick: bare arrays
            before = session.infer(image)
            assert isinstance(before, np.ndarray)
            print(f"before: the first test image looks like a {np.argmax(before)}")
            for _ in range(100):
                session.learn(image, np.eye(10)[3])  # teach it, live, that this is a 3
            after = session.infer(image)
            assert isinstance(after, np.ndarray)
            print(f"after 100 live learns as a 3: {np.argmax(after)}")

        client.clusters.delete(cluster.id)
        client.datasets.delete(train_set.id)
        client.datasets.delete(test_set.id)


if __name__ == "__main__":
    main()
