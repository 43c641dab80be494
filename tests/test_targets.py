"""Tests for colorize/nets/targets.py: soft encoding, priors, weights, M_sat."""

import itertools
import json
import math

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from colorize.errors import ColorizeError
from colorize.nets import color, targets

import helpers
from helpers import tf_only


def _np(x):
    return ops.convert_to_numpy(x).astype("float64")


def _brute_force(v, circular_hue):
    """The reference 27-neighbour kernel for one pixel, written out plainly."""
    z = np.zeros(512)
    b = np.minimum(np.floor(np.asarray(v) / 32.0), 7).astype(int)
    f = np.asarray(v) / 32.0 - b - 0.5
    for delta in itertools.product((-1, 0, 1), repeat=3):
        nb = b + np.array(delta)
        if circular_hue:
            nb[2] %= 8
        if np.any(nb < 0) or np.any(nb > 7):
            continue  # dropped neighbour
        z[nb[0] + 8 * nb[1] + 64 * nb[2]] += np.exp(-np.sum((f - np.array(delta)) ** 2) / 0.25)
    return z / z.sum()


def _random_scaled(n, seed=0):
    rng = np.random.default_rng(seed)
    scaled = rng.uniform(0, 255, (n, 3))
    # Edges: both ends of every channel and the bin boundaries.
    edges = np.array([[0, 0, 0], [255, 255, 255], [32, 64, 224], [0, 255, 31.999]])
    return np.concatenate([scaled, edges]).astype("float32")


def test_soft_encoding_sums_to_one_and_peaks_at_nearest_bin():
    scaled = _random_scaled(2000)
    for space in color.SPACES:
        z = _np(targets.soft_encode(scaled, space))
        assert z.shape == (len(scaled), 512)
        np.testing.assert_allclose(z.sum(-1), 1.0, atol=1e-5)
        assert z.min() >= 0.0
        nearest = ops.convert_to_numpy(color.class_index(scaled))
        # The nearest bin holds the maximum; exactly on a bin boundary
        # (v = 32, 64, ...) the two bins tie.
        peak = z[np.arange(len(z)), nearest]
        np.testing.assert_allclose(peak, z.max(-1), rtol=1e-6)
        np.testing.assert_array_equal(z[:2000].argmax(-1), nearest[:2000])
        # At most 3 bins per channel: at most 27 nonzero classes.
        assert (z > 0).sum(-1).max() <= 27


def test_soft_encoding_equals_the_27_neighbour_kernel():
    scaled = _random_scaled(60, seed=3)
    for space in color.SPACES:
        z = _np(targets.soft_encode(scaled, space))
        for row, v in zip(z, scaled.astype("float64"), strict=True):
            np.testing.assert_allclose(row, _brute_force(v, space == "lch"), atol=1e-6)


def test_soft_encoding_hand_computed_pixel():
    # Pixel (16, 40, 0) on the RGB grid.
    # Channel 0: v = 16, bin 0, f = 0: bin 0 gets e^0 = 1, bin 1 gets
    #   e^(-1/0.25) = e^-4 = 0.0183156, bin -1 is dropped
    #   -> 1 / 1.0183156 = 0.9820138.
    # Channel 1: v = 40, bin 1, f = 40/32 - 1 - 0.5 = -0.25: bin 0 gets
    #   e^(-0.75^2/0.25) = e^-2.25 = 0.1053992, bin 1 e^-0.25 = 0.7788008,
    #   bin 2 e^(-1.25^2/0.25) = e^-6.25 = 0.0019305
    #   -> 0.7788008 / 0.8861305 = 0.8788782.
    # Channel 2: v = 0, bin 0, f = -0.5: bin 0 gets e^-1 = 0.3678794, bin 1
    #   e^(-1.5^2/0.25) = e^-9 = 0.0001234 -> 0.3678794 / 0.3680029 = 0.9996646.
    # Class 0 + 8 * 1 + 64 * 0 = 8 gets the product:
    #   0.9820138 * 0.8788782 * 0.9996646 = 0.8627811.
    expected = (
        1
        / (1 + math.exp(-4))
        * math.exp(-0.25)
        / (math.exp(-2.25) + math.exp(-0.25) + math.exp(-6.25))
        * math.exp(-1)
        / (math.exp(-1) + math.exp(-9))
    )
    assert expected == pytest.approx(0.8627811, abs=1e-7)
    z = _np(targets.soft_encode(np.array([16.0, 40.0, 0.0], "float32"), "rgb"))
    assert z[8] == pytest.approx(expected, abs=1e-6)
    # Its neighbour class 9 (bin 1 in channel 0) gets e^-4 times as much.
    assert z[9] == pytest.approx(expected * math.exp(-4), rel=1e-4)


def test_soft_encoding_is_symmetric_at_a_bin_centre():
    centre = np.array([112.0, 144.0, 80.0], "float32")  # bins (3, 4, 2)
    for space in color.SPACES:
        cube = _np(targets.soft_encode(centre, space)).reshape(8, 8, 8)  # b2, b1, b0
        block = cube[1:4, 3:6, 2:5]  # the 27 neighbours
        assert block.sum() == pytest.approx(1.0, abs=1e-6)
        for axis in range(3):
            np.testing.assert_allclose(block, np.flip(block, axis), atol=1e-7)
        assert block[1, 1, 1] == pytest.approx((1 / (1 + 2 * math.exp(-4))) ** 3, rel=1e-5)


def test_hue_wraps_and_linear_channels_do_not():
    # Hue v = 2: bin 0, f = 2/32 - 0.5 = -0.4375. Its lower neighbour is bin 7
    # in LCH (weight ratio e^(-(f+1)^2/0.25) / e^(-f^2/0.25)), dropped in RGB.
    scaled = np.array([112.0, 144.0, 2.0], "float32")
    f = 2 / 32 - 0.5
    ratio = math.exp(-((f + 1) ** 2) / 0.25) / math.exp(-(f**2) / 0.25)
    lch = _np(targets.soft_encode(scaled, "lch")).reshape(8, 8, 8)
    hue = lch.sum(axis=(1, 2))  # marginal over b2
    assert hue[7] / hue[0] == pytest.approx(ratio, rel=1e-4)
    assert hue[7] > 0.2
    rgb = _np(targets.soft_encode(scaled, "rgb")).reshape(8, 8, 8)
    assert rgb.sum(axis=(1, 2))[7] == 0.0
    # And from the top: v = 250 is in bin 7 and spills into bin 0 in LCH only.
    top = np.array([112.0, 144.0, 250.0], "float32")
    assert _np(targets.soft_encode(top, "lch")).reshape(8, 8, 8).sum(axis=(1, 2))[0] > 0.1
    assert _np(targets.soft_encode(top, "rgb")).reshape(8, 8, 8).sum(axis=(1, 2))[0] == 0.0


def test_encode_colors_resizes_and_accepts_uint8():
    rgb = np.zeros((2, 16, 16, 3), "uint8")
    rgb[0] = (200, 30, 90)
    rgb[1] = (10, 240, 250)
    for space in color.SPACES:
        z = _np(targets.encode_colors(rgb, space, size=(4, 4)))
        assert z.shape == (2, 4, 4, 512)
        # A constant image stays constant when resized: every pixel's target
        # is the soft encoding of that color.
        one = _np(targets.soft_encode(color.to_scaled(rgb[:, 0, 0] / 255.0, space), space))
        np.testing.assert_allclose(z, np.broadcast_to(one[:, None, None], z.shape), atol=1e-5)
        full = _np(targets.encode_colors(rgb.astype("float32"), space))
        assert full.shape == (2, 16, 16, 512)


def test_resize_is_an_antialiased_average():
    # Left half black, right half white, 16 -> 4 wide: the outer pixels keep
    # their color, the two at the edge are mixtures, symmetric about 127.5.
    rgb = np.zeros((1, 16, 16, 3), "float32")
    rgb[:, :, 8:] = 255.0
    row = _np(targets.resize_colors(rgb, (4, 4)))[0, 0, :, 0]
    np.testing.assert_allclose([row[0], row[3]], [0.0, 255.0], atol=1e-3)
    assert 0.0 < row[1] < 127.5 < row[2] < 255.0
    assert row[1] + row[2] == pytest.approx(255.0, abs=1e-3)


def test_resize_matches_keras_antialiased_bilinear():
    rgb = np.random.default_rng(4).uniform(0, 255, (2, 17, 16, 3)).astype("float32")
    for size in [(4, 4), (5, 3), (17, 16), (20, 24)]:
        ours = _np(targets.resize_colors(rgb, size))
        ref = _np(ops.image.resize(rgb, size, interpolation="bilinear", antialias=True))
        np.testing.assert_allclose(ours, ref, atol=2e-3, err_msg=str(size))


def test_nearest_class_golden_value():
    rgb = np.array([[[[40, 100, 250], [0, 0, 0]]]], "uint8")  # (1, 1, 2, 3)
    q = ops.convert_to_numpy(targets.nearest_class(rgb, "rgb"))
    # bins (40 // 32, 100 // 32, 250 // 32) = (1, 3, 7) -> 1 + 24 + 448 = 473.
    assert q.tolist() == [[[473, 0]]]
    with pytest.raises(ColorizeError, match="batch, height, width, 3"):
        targets.nearest_class(np.zeros((4, 4, 3), "uint8"), "rgb")


def test_rebalance_weights():
    prior = np.random.default_rng(0).dirichlet(np.full(512, 0.3))
    w = targets.rebalance_weights(prior)
    assert w.shape == (512,) and w.dtype == np.float32
    assert np.sum(prior * w) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(targets.rebalance_weights(np.full(512, 1 / 512)), 1.0, rtol=1e-6)
    # A rarer class gets a larger weight: weights sort opposite to the prior.
    order = np.argsort(prior)
    assert np.all(np.diff(w[order]) <= 1e-6)
    # All mass on class 0: w_0 = 1 (sum p w = 1) and every other class gets
    # (0.5 + 0.5/512) / (0.5/512) = 513 times as much.
    one = np.zeros(512)
    one[0] = 5.0  # unnormalized counts are fine
    w = targets.rebalance_weights(one)
    assert w[0] == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(w[1:], 513.0, rtol=1e-6)
    for bad in (np.zeros(512), np.ones(10), -np.ones(512)):
        with pytest.raises(ColorizeError):
            targets.rebalance_weights(bad)


def test_saturation_matrix():
    m = helpers.saturation_matrix("lch")
    assert m.shape == (512, 512) and m.dtype == np.float32
    np.testing.assert_array_equal(m, m.T)
    assert np.all(np.diag(m) == 0)
    assert m[0, 1] == 0 and m[0, 64] == 0  # L or hue differ: same chroma bin
    assert m[0, 8] == 1  # chroma bins 0 and 1
    assert np.all((m == 0).sum(axis=1) == 64)  # 8 L bins x 8 hue bins
    assert helpers.saturation_matrix("rgb").shape == (512, 512)


def _known_images():
    """Two batches: 4 red and 12 black pixels in all."""
    first = np.zeros((1, 2, 4, 3), "uint8")
    first[0, 0, :] = (255, 0, 0)
    second = np.zeros((2, 2, 2, 3), "uint8")
    return [first, second]


def _prior(images, space):
    counts, _ = targets.class_counts(images, space)
    return counts / counts.sum()


def test_class_counts_count_pixels():
    prior = _prior(_known_images(), "rgb")
    assert prior[7] == pytest.approx(0.25) and prior[0] == pytest.approx(0.75)
    assert prior.sum() == pytest.approx(1.0)
    # In LCH, black is class 0; red is L 53.24 * 2.55 = 135.8 -> bin 4,
    # C 100 -> 255 -> bin 7, h 28.3 -> bin 0: 4 + 8 * 7 + 0 = 60.
    prior = _prior(_known_images(), "lch")
    assert prior[60] == pytest.approx(0.25) and prior[0] == pytest.approx(0.75)
    with pytest.raises(ColorizeError, match="no color images"):
        targets.class_counts([], "rgb")


@tf_only
def test_class_prior_streams_a_tfds_style_dataset():
    images = np.concatenate([_known_images()[0], _known_images()[0]])  # (2, 2, 4, 3)
    ds = tf.data.Dataset.from_tensor_slices({"color": images, "source_id": [1, 2]}).batch(1)
    prior = _prior(ds, "rgb")
    assert prior[7] == pytest.approx(0.5) and prior[0] == pytest.approx(0.5)


def test_load_or_compute_prior_caches(tmp_path):
    path = tmp_path / "sub" / "class_prior_rgb.json"
    calls = []

    def images():
        calls.append(1)
        return _known_images()

    prior = targets.load_or_compute_prior(str(path), images, "rgb")
    assert prior[7] == pytest.approx(0.25) and len(calls) == 1
    data = json.loads(path.read_text())
    assert data["space"] == "rgb" and data["num_images"] == 3
    assert data["counts"][7] == 4 and data["counts"][0] == 12
    again = targets.load_or_compute_prior(str(path), images, "rgb")
    np.testing.assert_array_equal(again, prior)
    assert len(calls) == 1  # reused, not recomputed
    path.write_text('{"counts": [1, 2')  # corrupt: recomputed and rewritten
    np.testing.assert_array_equal(targets.load_or_compute_prior(str(path), images, "rgb"), prior)
    assert len(calls) == 2
    with pytest.raises(ColorizeError, match="computed for color space 'rgb'"):
        targets.load_or_compute_prior(str(path), images, "lch")
    with pytest.raises(ColorizeError, match="at target size None, not 'rgb' at"):
        targets.load_or_compute_prior(str(path), images, "rgb", size=(2, 2))


def test_prior_at_target_resolution(tmp_path):
    # 8x8 image, left half red, right half black, resized to 2x2. Output
    # column 0 sits at x = 1.5 with triangle weights 1 - |x - 1.5| / 4 over
    # x = 0..5: 0.625 0.875 0.875 0.625 (red) 0.375 0.125 (black), so its red
    # is 255 * 3 / 3.5 = 218.6 (bin 6, class 6); column 1 mirrors it:
    # 255 * 0.5 / 3.5 = 36.4 (bin 1, class 1). Half the pixels each.
    rgb = np.zeros((1, 8, 8, 3), "uint8")
    rgb[:, :, :4] = (255, 0, 0)
    small = _np(targets.resize_colors(rgb, (2, 2)))[0, 0, :, 0]
    np.testing.assert_allclose(small, [255 * 3 / 3.5, 255 * 0.5 / 3.5], atol=1e-3)
    path = tmp_path / "prior.json"
    prior = targets.load_or_compute_prior(str(path), lambda: [rgb], "rgb", size=(2, 2))
    assert prior[6] == pytest.approx(0.5) and prior[1] == pytest.approx(0.5)
    data = json.loads(path.read_text())
    assert data["size"] == [2, 2] and data["num_pixels"] == 4


def test_soft_factors_are_the_factors_of_encode_colors():
    rgb = np.random.default_rng(5).integers(0, 256, (2, 16, 16, 3)).astype("uint8")
    rgb[0, :4] = (0, 0, 0)
    rgb[0, 4:8] = (255, 255, 255)
    rgb[1, :4] = (32, 64, 224)  # bin boundaries
    for space in color.SPACES:
        target = targets.soft_factors(rgb, space, size=(4, 4))
        u = _np(target.factors)
        assert u.shape == (2, 4, 4, 3, 8)
        np.testing.assert_allclose(u.sum(-1), 1.0, atol=1e-6)
        assert ((u > 0).sum(-1) <= 3).all()  # the bin and its two neighbours at most
        # Their outer product, in class order b0 + 8 b1 + 64 b2, is the target.
        z = np.einsum("...k,...j,...i->...kji", u[..., 2, :], u[..., 1, :], u[..., 0, :]).reshape(2, 4, 4, 512)
        np.testing.assert_allclose(z, _np(targets.encode_colors(rgb, space, size=(4, 4))), atol=1e-6)
        small = _np(targets.resize_colors(rgb, (4, 4)))
        classes = ops.convert_to_numpy(target.classes)
        np.testing.assert_array_equal(classes, ops.convert_to_numpy(targets.nearest_class(small, space)))
        # The nearest class is the argmax of every factor (a tie at a bin
        # boundary goes to the upper bin, where floor puts the value).
        peak = u.max(-1)
        bins = np.stack([classes % 8, classes // 8 % 8, classes // 64], axis=-1)
        np.testing.assert_allclose(np.take_along_axis(u, bins[..., None], -1)[..., 0], peak, rtol=1e-6)


def test_channel_factors_hand_values_at_the_edges():
    a = math.exp(-4.0)  # a neighbour one bin away from a bin centre
    u = _np(targets.channel_factors(np.array([16.0, 240.0, 16.0], "float32"), "lch"))  # bin centres
    # L at the centre of bin 0: no bin -1, so 1 of 1 + a. C at the centre of
    # bin 7: no bin 8. Hue at the centre of bin 0: bin 7 is its neighbour.
    assert u[0, 0] == pytest.approx(1 / (1 + a), rel=1e-6) and u[0, 1] == pytest.approx(a / (1 + a), rel=1e-5)
    assert u[1, 7] == pytest.approx(1 / (1 + a), rel=1e-6) and u[1, 6] == pytest.approx(a / (1 + a), rel=1e-5)
    assert u[2, 0] == pytest.approx(1 / (1 + 2 * a), rel=1e-6)
    assert u[2, 7] == pytest.approx(a / (1 + 2 * a), rel=1e-5)
    assert u[2, 1] == pytest.approx(u[2, 7], rel=1e-5)
    rgb = _np(targets.channel_factors(np.array([16.0, 240.0, 16.0], "float32"), "rgb"))
    assert rgb[2, 7] == 0.0 and rgb[2, 0] == pytest.approx(1 / (1 + a), rel=1e-6)
    # On a bin boundary (v = 64: bin 2, f = -0.5) bins 1 and 2 tie.
    u = _np(targets.channel_factors(np.array([64.0, 64.0, 64.0], "float32"), "rgb"))
    assert u[0, 1] == pytest.approx(u[0, 2], rel=1e-6) and u[0, 3] == pytest.approx(u[0, 2] * math.exp(-8), rel=1e-4)


def test_white_classes():
    lch = targets.white_classes("lch")
    assert lch.shape == (512,) and lch.sum() == 8  # top L bin, lowest chroma bin, every hue
    q = np.flatnonzero(lch)
    assert np.all(q % 8 == 7) and np.all((q // 8) % 8 == 0)
    assert np.flatnonzero(targets.white_classes("rgb")).tolist() == [511]  # (7, 7, 7)


def test_rebalance_weights_spare_white():
    prior = np.random.default_rng(1).dirichlet(np.full(512, 0.3))
    white = targets.white_classes("lch")
    prior[white] = 0.05  # white paper: the commonest classes
    prior /= prior.sum()
    w = targets.rebalance_weights(prior, 0.5, spare_white=white)
    paper = targets.rebalance_weights(prior, 0.5)
    # White keeps weight 1; the colors are rebalanced among themselves (the
    # paper's ratios) and carry their own share of the loss, so the mean
    # weight stays 1.
    np.testing.assert_allclose(w[white], 1.0)
    colored = ~white
    np.testing.assert_allclose(w[colored] / w[colored][0], paper[colored] / paper[colored][0], rtol=1e-5)
    assert np.sum(prior[colored] * w[colored]) == pytest.approx(1.0 - prior[white].sum(), rel=1e-5)
    assert np.sum(prior * w) == pytest.approx(1.0, rel=1e-5)
    assert w[white].min() > paper[white].max()  # the paper's weights give white the least
    with pytest.raises(ColorizeError, match="spare_white"):
        targets.rebalance_weights(prior, 0.5, spare_white=np.ones(3, bool))


def test_hue_bins_of_lch_classes_are_their_channel_2_and_rgb_classes_follow_their_centre():
    np.testing.assert_array_equal(color.hue_bins("lch"), color.class_bins()[:, 2])
    red = int(np.asarray(targets.nearest_class(np.array([[[[220, 30, 40]]]], np.float32), "rgb")).ravel()[0])
    blue = int(np.asarray(targets.nearest_class(np.array([[[[40, 60, 220]]]], np.float32), "rgb")).ravel()[0])
    centre = color.to_scaled(color.bin_centers("rgb")[red] / 255.0, "lch")
    assert color.hue_bins("rgb")[red] == np.asarray(color.channel_bins(centre))[2]
    assert color.hue_bins("rgb")[red] != color.hue_bins("rgb")[blue]


@pytest.mark.parametrize("space", ["lch", "rgb"])
def test_hue_agreement_counts_colored_pixels_and_the_right_hues(space):
    red, green, white = (220, 30, 40), (40, 170, 60), (255, 255, 255)
    truth = np.array([[[red, red], [green, white]]], np.float32)  # (1, 2, 2, 3): 3 colored pixels
    classes = np.asarray(targets.nearest_class(truth, space))  # (1, 2, 2)
    logits = np.full((1, 2, 2, color.NUM_CLASSES), -20.0, np.float32)
    logits[0, 0, 0, classes[0, 0, 0]] = 10.0  # right
    logits[0, 0, 1, classes[0, 1, 0]] = 10.0  # green on a red pixel: wrong
    logits[0, 1, 0, classes[0, 1, 0]] = 10.0  # right
    logits[0, 1, 1, classes[0, 0, 0]] = 10.0  # red on white paper: not counted
    hits, pixels = targets.hue_agreement(logits, truth, space)
    np.testing.assert_allclose(ops.convert_to_numpy(pixels), [3.0])
    np.testing.assert_allclose(ops.convert_to_numpy(hits), [2.0])


def test_hue_agreement_resizes_the_truth_to_the_logits():
    truth = np.zeros((2, 8, 8, 3), np.float32)
    truth[0] = (40, 170, 60)  # green everywhere
    truth[1] = 255  # white: nothing to count
    logits = np.zeros((2, 2, 2, color.NUM_CLASSES), np.float32)
    logits[..., int(np.asarray(targets.nearest_class(truth[:1, :1, :1], "lch")).ravel()[0])] = 10.0
    hits, pixels = targets.hue_agreement(logits, truth, "lch")
    np.testing.assert_allclose(ops.convert_to_numpy(pixels), [4.0, 0.0])
    np.testing.assert_allclose(ops.convert_to_numpy(hits), [4.0, 0.0])
