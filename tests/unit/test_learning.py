"""Learning works on real data: the committed MNIST subset, and one absurd outlier."""

from __future__ import annotations

import numpy as np

from hanami_rt.core import Network
from tests import mnist


def accuracy(net: Network, images: np.ndarray, labels: np.ndarray) -> float:
    predicted = net.infer_many(images)["digit"].argmax(axis=1)
    return float((predicted == labels).mean())


def test_one_pass_over_the_subset_learns_raw_pixels() -> None:
    """6,000 raw 0-255 images learned once, one at a time: > 85 % on 1,000 held-out ones.

    Judged as a mean over four seeds, as accuracy should be (one seed varies by +-2 points
    on a set this small); no seed may fall far behind.
    """
    images, labels = mnist.subset("train")
    test_images, test_labels = mnist.subset("t10k")
    scores = []
    for seed in range(4):
        net = Network.from_template(mnist.template(), seed=seed)
        assert accuracy(net, test_images, test_labels) < 0.2  # nothing learned yet
        net.learn_many(images, mnist.one_hot(labels))
        scores.append(accuracy(net, test_images, test_labels))
    assert float(np.mean(scores)) > 0.85
    assert min(scores) > 0.8


def test_an_absurd_input_leaves_no_lasting_mark_with_reduction() -> None:
    """One pixel at 1e6 after a learned subset: held-out accuracy moves by less than a point.

    The absurd value grows a synapse with a border no normal image reaches; later samples
    wear it down (a border more than twice the potential is split) or reduction removes it.
    """
    images, labels = mnist.subset("train")
    test_images, test_labels = mnist.subset("t10k")
    net = Network.from_template(mnist.template(reduction=True), seed=3)
    net.learn_many(images, mnist.one_hot(labels))
    before = accuracy(net, test_images, test_labels)
    control = Network.from_bytes(net.to_bytes())
    control.learn(images[0], mnist.one_hot(labels[0]))

    absurd = images[0].copy()
    absurd[int(np.argmax(absurd))] = 1e6
    net.learn(absurd, mnist.one_hot(labels[0]))
    assert net.state.syn_reach.max() > 1e5, "the outlier must have grown a synapse for itself"
    after = accuracy(net, test_images, test_labels)
    assert abs(after - before) < 0.01
    assert abs(after - accuracy(control, test_images, test_labels)) < 0.01

    net.learn_many(images[:800], mnist.one_hot(labels[:800]))
    assert net.state.syn_reach.max() < 1e4, "the outlier's synapse must be gone or worn down"
