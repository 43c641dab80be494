"""`--sketch mix`: each training example gets the line sketch, the binary
one or a degraded line sketch, in the stated shares; evaluation gets the
line sketch."""

import numpy as np
import tensorflow as tf

from colorize.data import pipeline


def _example():
    rng = np.random.default_rng(0)
    line = np.full((32, 32, 1), 255, np.uint8)
    line[8:24, 15:17] = rng.integers(0, 80, (16, 2, 1))  # a gray stroke
    binary = np.where(line < 128, 0, 255).astype(np.uint8)
    return {"sketch": tf.constant(line), "sketch_binary": tf.constant(binary)}, line, binary


def test_mix_draws_line_binary_and_degraded_in_their_shares():
    example, line, binary = _example()
    tf.random.set_seed(1)  # the draws use TensorFlow's global seed: fixed here, so the test is exact
    kinds = []
    for _ in range(300):
        out = pipeline.choose_sketch(example, "mix", training=True).numpy()
        assert out.shape == line.shape and out.dtype == np.uint8
        if np.array_equal(out, line):
            kinds.append("line")
        elif np.array_equal(out, binary):
            kinds.append("binary")
        else:
            kinds.append("degraded")
    shares = {k: kinds.count(k) / len(kinds) for k in ("line", "binary", "degraded")}
    # 40 / 30 / 30 %; 300 draws: a share's standard deviation is under 3 points.
    assert abs(shares["line"] - 0.4) < 0.1 and abs(shares["binary"] - 0.3) < 0.1, shares
    assert abs(shares["degraded"] - 0.3) < 0.1, shares


def test_mix_outside_training_is_the_line_sketch():
    example, line, _ = _example()
    np.testing.assert_array_equal(pipeline.choose_sketch(example, "mix", training=False).numpy(), line)
