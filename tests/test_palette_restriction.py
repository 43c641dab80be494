"""Decoding within a palette (`annealed_mean.PaletteRestriction`): the
classes a palette does not allow lose their probability, grays stay, and
an empty palette changes nothing."""

import numpy as np

from colorize.nets import color
from colorize.nets.annealed_mean import PALETTE_OFF_WEIGHT, AnnealedMean, PaletteRestriction, palette_neighbours


def _class(lightness, chroma, hue):
    return lightness + color.NUM_BINS * chroma + color.NUM_BINS**2 * hue


def test_only_the_palettes_hue_and_near_chroma_and_the_grays_stay():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 3, color.NUM_CLASSES)).astype(np.float32)
    palette = np.zeros((2, color.NUM_CLASSES), np.float32)
    palette[0, _class(4, 5, 2)] = 1.0  # one color; image 1 has none
    out = np.asarray(PaletteRestriction(space="lch")([logits, palette]))
    np.testing.assert_array_equal(out[1], logits[1])  # no palette: unchanged
    shift = out[0] - logits[0]  # (3, 3, Q)
    bins = color.class_bins()
    allowed = ((bins[:, 2] == 2) & (np.abs(bins[:, 1] - 5) <= 1)) | (bins[:, 1] == 0)
    np.testing.assert_allclose(shift[..., allowed], 0.0)
    np.testing.assert_allclose(shift[..., ~allowed], np.log(PALETTE_OFF_WEIGHT), rtol=1e-6)
    assert allowed[_class(7, 4, 2)] and allowed[_class(0, 0, 6)] and not allowed[_class(4, 5, 3)]


def test_the_decoded_color_moves_to_the_palettes_hue():
    # The network is torn between two hues; the palette names one of them.
    logits = np.full((1, 1, 1, color.NUM_CLASSES), -10.0, np.float32)
    red, blue = _class(4, 5, 0), _class(4, 5, 5)
    logits[..., red] = logits[..., blue] = 0.0
    palette = np.zeros((1, color.NUM_CLASSES), np.float32)
    palette[0, blue] = 1.0
    decode = AnnealedMean(space="lch", temperature=1.0)
    torn = np.asarray(decode(logits))[0, 0, 0]
    kept = np.asarray(decode(PaletteRestriction(space="lch")([logits, palette])))[0, 0, 0]
    pure = np.zeros_like(logits) - 10.0
    pure[..., blue] = 0.0
    target = np.asarray(decode(pure))[0, 0, 0]
    assert np.abs(kept - target).max() < 2.0 < np.abs(torn - target).max()


def test_rgb_neighbours_are_the_cube_around_each_class():
    n = palette_neighbours("rgb")
    q = 1 + color.NUM_BINS * 1 + color.NUM_BINS**2 * 1  # bins (1, 1, 1)
    assert n[q].sum() == 27 and n[q, q] == 1.0 and n[0].sum() == 8
