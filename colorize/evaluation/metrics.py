"""The paper's evaluation metrics (Figs. 7, 9-12) plus PSNR and SSIM, in NumPy.

All functions take batches of RGB images `(batch, H, W, 3)` on a 0..255
scale (uint8 or float). Lab/LCH come from `skimage.color` (CIE D65, 2 degree
observer): L in 0..100, chroma C = sqrt(a^2 + b^2) in 0..~134, hue in degrees.
The in-graph conversions used for training are `colorize.nets.color`'s; these are
the reference ones, kept independent of the model code on purpose.

- mean chroma of the output and of the ground truth, and their ratio (Fig. 7:
  desaturated outputs have a ratio well below 1);
- MSE of R, G, B on 0..255 (Fig. 9), of C (Fig. 10) and of L (Fig. 11);
- hue error (Fig. 12): the circular difference in degrees (0..180), averaged
  with the ground truth's chroma as weight, because the hue of a gray pixel is
  undefined and must not count; both the mean absolute and the mean squared
  difference are reported;
- PSNR (dB, data range 255) and SSIM (`skimage.metrics`), per image, averaged;
- two honest baselines: the PSNR of the bare sketch (as gray RGB) against the
  ground truth, what doing nothing scores; and "white kept", the share of the
  ground truth's white pixels (L > 92 and C < 6) that stay white in the output
  (L > 85 and C < 12): backgrounds painted over lower it;
- the page color: the output's mean R, G and B where the ground truth is
  white paper (a model that tints the page scores under 255), and its
  smallest channel;
- the color-distribution overlap: per image, over the ground truth's pixels
  that are neither white paper nor line (sketch under `LINE_LEVEL`, or
  without a sketch L under `LINE_L`), the intersection of the normalized
  2-D a*b* histograms of output and truth (`OVERLAP_BINS` x `OVERLAP_BINS`
  bins on [-`OVERLAP_RANGE`, `OVERLAP_RANGE`]); 1 is the same distribution
  of colors, a gray output scores only the truth's share of near-gray
  pixels. Images without such pixels do not count. Two references on the
  same pixels say what a figure is worth on the data measured: the overlap
  a gray output would score (`overlap_gray`), and the mean overlap of one
  image's true colors with another's (`overlap_other`, over every ordered
  pair of distinct images: a guess that has the right kind of colors but
  knows nothing of the drawing).

`MetricAccumulator` streams batches so that a whole split is evaluated without
holding it in memory.
"""

import numpy as np
import skimage.color
import skimage.metrics

from colorize.errors import ColorizeError

# skimage gives exact grays a chroma of ~0.003 (rounding in its matrices);
# below this, a ground-truth pixel is gray and gets no weight in the hue error.
GRAY_CHROMA = 0.01
# Identical images have an infinite PSNR; they count as this many dB, so a
# mean over images stays finite and JSON-serializable.
PSNR_CAP = 100.0
# SSIM's default Gaussian-free window is 7x7 pixels.
MIN_SIDE = 7
# White, as (L above, C below) in CIE-LCH: a ground-truth pixel is white
# paper; an output pixel still counts as white within a looser bound.
WHITE_TRUE = (92.0, 6.0)
WHITE_KEPT = (85.0, 12.0)
# The color-distribution overlap: a*b* histogram bins and range, and what a line is.
OVERLAP_BINS = 16
OVERLAP_RANGE = 80.0
LINE_LEVEL = 128  # sketch gray level under which a pixel is line
LINE_L = 25.0  # without a sketch: ground-truth lightness under which a pixel is line
CROSS_VALUES = 1 << 24  # `mean_cross_overlap` compares at most this many bins at once (128 MiB)

# Name, unit and description of each reported metric, in table order.
METRICS = (
    ("chroma", "", "mean CIE-LCH chroma of the output"),
    ("chroma_true", "", "mean CIE-LCH chroma of the ground truth"),
    ("chroma_ratio", "", "output chroma / ground-truth chroma"),
    ("mse_r", "", "MSE of R (0..255)"),
    ("mse_g", "", "MSE of G (0..255)"),
    ("mse_b", "", "MSE of B (0..255)"),
    ("mse_rgb", "", "MSE of RGB (mean of the three)"),
    ("mse_l", "", "MSE of CIE lightness L (0..100)"),
    ("mse_c", "", "MSE of CIE chroma C"),
    ("hue_error", "deg", "hue error |dh|, weighted by true chroma"),
    ("hue_mse", "deg^2", "hue MSE dh^2, weighted by true chroma"),
    ("psnr", "dB", f"PSNR per image, mean (identical: {PSNR_CAP:g})"),
    ("ssim", "", "SSIM per image, mean"),
    ("psnr_sketch", "dB", "PSNR of the bare sketch (doing nothing)"),
    ("white_kept", "", "white truth pixels kept white (share)"),
    ("page_r", "", "output R where the truth is white paper"),
    ("page_g", "", "output G where the truth is white paper"),
    ("page_b", "", "output B where the truth is white paper"),
    ("page_min", "", "smallest page channel"),
    ("page_sketch", "", "bare sketch's gray where the truth is white paper"),
    ("color_overlap", "", "a*b* histogram overlap with the truth"),
    ("overlap_gray", "", "the overlap a gray output scores"),
    ("overlap_other", "", "overlap of another image's true colors"),
)


def _check_pair(pred, truth):
    """Both batches as float64 `(b, H, W, 3)` 0..255, or a ColorizeError."""
    pred = np.asarray(pred, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    if pred.shape != truth.shape:
        raise ColorizeError(f"prediction shape {pred.shape} differs from ground-truth shape {truth.shape}")
    if pred.ndim != 4 or pred.shape[-1] != 3:
        raise ColorizeError(f"expected RGB batches (batch, H, W, 3), got shape {pred.shape}")
    if min(pred.shape[1:3]) < MIN_SIDE:
        raise ColorizeError(f"images of {pred.shape[1]}x{pred.shape[2]} px are too small (SSIM needs >= {MIN_SIDE})")
    return pred, truth


def rgb_to_lch(rgb):
    """CIE-LCH of RGB pixels.

    Args:
        rgb: `(..., 3)` RGB on a 0..255 scale (uint8 or float).

    Returns:
        `(..., 3)` float64: L (0..100), C (>= 0), h in degrees [0, 360).
    """
    rgb = np.clip(np.asarray(rgb, dtype=np.float64) / 255.0, 0.0, 1.0)
    lch = skimage.color.lab2lch(skimage.color.rgb2lab(rgb))
    lch[..., 2] = np.degrees(lch[..., 2])
    return lch


def hue_difference(h1, h2):
    """Circular difference of two hues in degrees.

    Args:
        h1, h2: hues in degrees (any real values, broadcastable).

    Returns:
        `|h1 - h2|` taken the short way round the circle, in [0, 180].
    """
    d = np.mod(np.asarray(h1, np.float64) - np.asarray(h2, np.float64), 360.0)
    return np.minimum(d, 360.0 - d)


def psnr(pred, truth):
    """PSNR of one image pair (data range 255), capped at `PSNR_CAP` dB.

    Args:
        pred, truth: `(H, W, 3)` RGB on 0..255.

    Returns:
        PSNR in dB as a float; `PSNR_CAP` for identical images.
    """
    pred = np.asarray(pred, np.float64)
    truth = np.asarray(truth, np.float64)
    if not np.any(pred != truth):  # skimage would divide by zero
        return PSNR_CAP
    value = skimage.metrics.peak_signal_noise_ratio(truth, pred, data_range=255.0)
    return float(min(value, PSNR_CAP))


def sketch_rgb(sketch):
    """A sketch as the gray RGB image it is (what "doing nothing" outputs).

    Args:
        sketch: `(..., H, W)` or `(..., H, W, 1)` gray levels on 0..255.

    Returns:
        `(..., H, W, 3)` float64 RGB, each channel the gray level.
    """
    sketch = np.asarray(sketch, np.float64)
    if sketch.shape[-1] != 1:
        sketch = sketch[..., np.newaxis]
    return np.repeat(sketch, 3, axis=-1)


def white_mask(lch, white=WHITE_TRUE):
    """Which pixels are white: lightness above and chroma below a bound.

    Args:
        lch: `(..., 3)` CIE-LCH as from `rgb_to_lch` (L 0..100, C >= 0).
        white: `(L_min, C_max)`, strict bounds (`WHITE_TRUE` or `WHITE_KEPT`).

    Returns:
        `(...)` bool.
    """
    l_min, c_max = white
    return (lch[..., 0] > l_min) & (lch[..., 1] < c_max)


def ab_histogram(lab):
    """Normalized 2-D a*b* histogram of pixels.

    Args:
        lab: `(n, 3)` CIE-Lab pixels.

    Returns:
        `(OVERLAP_BINS, OVERLAP_BINS)` float64 summing to 1 (a pixel outside
        the range counts in the nearest edge bin); all zero for no pixels.
    """
    edges = np.linspace(-OVERLAP_RANGE, OVERLAP_RANGE, OVERLAP_BINS + 1)
    a = np.clip(lab[:, 1], -OVERLAP_RANGE, OVERLAP_RANGE)
    b = np.clip(lab[:, 2], -OVERLAP_RANGE, OVERLAP_RANGE)
    hist, _, _ = np.histogram2d(a, b, bins=(edges, edges))
    total = hist.sum()
    return hist / total if total else hist


def overlap_histograms(pred, truth, sketch=None):
    """The a*b* histograms the color-distribution overlap of one image compares
    (see the module's docstring; the overlap is `np.minimum(*hists).sum()`).

    Args:
        pred, truth: `(H, W, 3)` RGB on 0..255.
        sketch: optional `(H, W)` or `(H, W, 1)` gray sketch on 0..255 (what is line).

    Returns:
        (output's, truth's) `ab_histogram`s over the truth's pixels that are
        neither paper nor line, or None when there are none.
    """
    lab_t = skimage.color.rgb2lab(np.clip(np.asarray(truth, np.float64) / 255.0, 0.0, 1.0))
    lab_p = skimage.color.rgb2lab(np.clip(np.asarray(pred, np.float64) / 255.0, 0.0, 1.0))
    chroma_t = np.hypot(lab_t[..., 1], lab_t[..., 2])
    paper = (lab_t[..., 0] > WHITE_TRUE[0]) & (chroma_t < WHITE_TRUE[1])
    if sketch is not None:
        line = np.asarray(sketch, np.float64).reshape(paper.shape) < LINE_LEVEL
    else:
        line = lab_t[..., 0] < LINE_L
    keep = ~(paper | line)
    if not keep.any():
        return None
    return ab_histogram(lab_p[keep]), ab_histogram(lab_t[keep])


def gray_histogram():
    """The a*b* histogram of a gray output (`ab_histogram`): all in one bin."""
    return ab_histogram(skimage.color.rgb2lab(np.full((1, 3), 0.5)))


def mean_cross_overlap(hists):
    """The mean overlap of one histogram with another, over every ordered pair of distinct ones.

    Args:
        hists: `(n, B, B)` histograms (`ab_histogram`).

    Returns:
        The mean intersection, or None for fewer than 2 histograms.
    """
    n = len(hists)
    if n < 2:
        return None
    flat = np.asarray(hists, np.float64).reshape(n, -1)
    chunk = max(1, CROSS_VALUES // (n * flat.shape[1]))  # rows compared at once
    total = 0.0
    for start in range(0, n, chunk):
        block = np.minimum(flat[start : start + chunk, np.newaxis], flat[np.newaxis]).sum(-1)  # (c, n)
        total += block.sum() - np.trace(block, offset=start)  # an image against itself does not count
    return total / (n * (n - 1))


def ssim(pred, truth):
    """SSIM of one RGB image pair (data range 255, channels averaged).

    Args:
        pred, truth: `(H, W, 3)` RGB on 0..255, sides >= 7.

    Returns:
        SSIM as a float in [-1, 1]; 1 for identical images.
    """
    return float(
        skimage.metrics.structural_similarity(
            np.asarray(truth, np.float64), np.asarray(pred, np.float64), channel_axis=-1, data_range=255.0
        )
    )


class MetricAccumulator:
    """Streams batches of (prediction, ground truth) and reports the metrics.

    Pixel metrics (chroma, MSEs, hue) are means over all pixels seen; PSNR
    and SSIM are means over images.

    Example:
        >>> acc = MetricAccumulator()
        >>> for pred, truth in batches:
        ...     acc.update(pred, truth)
        >>> acc.result()["mse_rgb"]
    """

    _SUMS = (
        "chroma",
        "chroma_true",
        "sq_r",
        "sq_g",
        "sq_b",
        "sq_l",
        "sq_c",
        "hue_w",
        "hue_abs",
        "hue_sq",
        "psnr",
        "ssim",
        "psnr_sketch",
        "white_true",
        "white_kept",
        "page_r",
        "page_g",
        "page_b",
        "page_sketch",
        "white_sketch",
        "overlap",
        "overlap_gray",
    )

    def __init__(self):
        self.images = 0
        self.pixels = 0
        self.sketch_images = 0
        self.overlap_images = 0
        self.sums = dict.fromkeys(self._SUMS, 0.0)
        self.truth_histograms = []  # (B, B) per image with an overlap: the references' pixels
        self.gray = gray_histogram()

    def update(self, pred, truth, sketch=None):
        """Adds one batch.

        Args:
            pred: `(b, H, W, 3)` predicted RGB on 0..255.
            truth: `(b, H, W, 3)` ground-truth RGB on 0..255, same shape.
            sketch: optional `(b, H, W, 1)` network input on 0..255, for the
                bare-sketch PSNR (None: that figure is not counted for this
                batch).

        Raises:
            ColorizeError: mismatched or malformed shapes.
        """
        pred, truth = _check_pair(pred, truth)
        if sketch is not None:
            bare = sketch_rgb(sketch)
            if bare.shape != truth.shape:
                raise ColorizeError(f"sketch shape {np.shape(sketch)} does not match ground-truth shape {truth.shape}")
            for b, t in zip(bare, truth, strict=True):
                self.sums["psnr_sketch"] += psnr(b, t)
            self.sketch_images += bare.shape[0]
        s = self.sums
        sq = np.square(pred - truth).reshape(-1, 3).sum(axis=0)  # (3,) per channel
        s["sq_r"] += sq[0]
        s["sq_g"] += sq[1]
        s["sq_b"] += sq[2]
        lch_p = rgb_to_lch(pred)  # (b, H, W, 3)
        lch_t = rgb_to_lch(truth)
        s["chroma"] += lch_p[..., 1].sum()
        s["chroma_true"] += lch_t[..., 1].sum()
        s["sq_l"] += np.square(lch_p[..., 0] - lch_t[..., 0]).sum()
        s["sq_c"] += np.square(lch_p[..., 1] - lch_t[..., 1]).sum()
        # Gray ground truth has no hue: weight each pixel by its true chroma.
        weight = np.where(lch_t[..., 1] >= GRAY_CHROMA, lch_t[..., 1], 0.0)  # (b, H, W)
        dh = hue_difference(lch_p[..., 2], lch_t[..., 2])
        s["hue_w"] += weight.sum()
        s["hue_abs"] += (weight * dh).sum()
        s["hue_sq"] += (weight * np.square(dh)).sum()
        white = white_mask(lch_t, WHITE_TRUE)  # (b, H, W)
        s["white_true"] += white.sum()
        s["white_kept"] += (white & white_mask(lch_p, WHITE_KEPT)).sum()
        if sketch is not None:  # what the lines alone leave of the page (their edges darken it)
            s["page_sketch"] += bare[white][:, 0].sum()
            s["white_sketch"] += white.sum()
        page = pred[white]  # (n, 3)
        s["page_r"] += page[:, 0].sum()
        s["page_g"] += page[:, 1].sum()
        s["page_b"] += page[:, 2].sum()
        sketches = [None] * pred.shape[0] if sketch is None else list(np.asarray(sketch))
        for p, t, k in zip(pred, truth, sketches, strict=True):
            s["psnr"] += psnr(p, t)
            s["ssim"] += ssim(p, t)
            hists = overlap_histograms(p, t, k)
            if hists is not None:
                s["overlap"] += np.minimum(*hists).sum()
                s["overlap_gray"] += np.minimum(hists[1], self.gray).sum()
                self.truth_histograms.append(hists[1].astype(np.float32))
                self.overlap_images += 1
        self.images += pred.shape[0]
        self.pixels += pred.shape[0] * pred.shape[1] * pred.shape[2]

    def result(self):
        """The metrics so far (names as in `METRICS`).

        Returns:
            A dict of floats, plus `images` and `pixels` (ints). A value that
            is undefined (nothing seen; for the ratio and the hue error, a
            ground truth that is all gray; for white kept, one without white;
            for the sketch PSNR, no sketches given) is None.
        """
        s, n = self.sums, self.pixels
        if not n:
            return dict({name: None for name, _, _ in METRICS}, images=0, pixels=0)
        out = dict(
            chroma=s["chroma"] / n,
            chroma_true=s["chroma_true"] / n,
            chroma_ratio=s["chroma"] / s["chroma_true"] if s["chroma_true"] >= GRAY_CHROMA * n else None,
            mse_r=s["sq_r"] / n,
            mse_g=s["sq_g"] / n,
            mse_b=s["sq_b"] / n,
            mse_rgb=(s["sq_r"] + s["sq_g"] + s["sq_b"]) / (3 * n),
            mse_l=s["sq_l"] / n,
            mse_c=s["sq_c"] / n,
            hue_error=s["hue_abs"] / s["hue_w"] if s["hue_w"] > 0 else None,
            hue_mse=s["hue_sq"] / s["hue_w"] if s["hue_w"] > 0 else None,
            psnr=s["psnr"] / self.images,
            ssim=s["ssim"] / self.images,
            psnr_sketch=s["psnr_sketch"] / self.sketch_images if self.sketch_images else None,
            white_kept=s["white_kept"] / s["white_true"] if s["white_true"] else None,
            page_r=s["page_r"] / s["white_true"] if s["white_true"] else None,
            page_g=s["page_g"] / s["white_true"] if s["white_true"] else None,
            page_b=s["page_b"] / s["white_true"] if s["white_true"] else None,
            color_overlap=s["overlap"] / self.overlap_images if self.overlap_images else None,
            overlap_gray=s["overlap_gray"] / self.overlap_images if self.overlap_images else None,
            overlap_other=mean_cross_overlap(self.truth_histograms),
        )
        pages = [out[k] for k in ("page_r", "page_g", "page_b")]
        out["page_min"] = None if pages[0] is None else min(pages)
        out["page_sketch"] = s["page_sketch"] / s["white_sketch"] if s["white_sketch"] else None
        out = {k: (None if v is None else float(v)) for k, v in out.items()}
        out.update(images=self.images, pixels=self.pixels)
        return out


def format_table(results, title=None):
    """The metrics as a two-column text table.

    Args:
        results: a dict from `MetricAccumulator.result`.
        title: an optional first line.

    Returns:
        The table as one string (no trailing newline).
    """
    lines = [title] if title else []
    for name, unit, description in METRICS:
        value = results.get(name)
        text = "n/a" if value is None else f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
        lines.append(f"  {description:<44} {name:<13} {text:>10} {unit}".rstrip())
    return "\n".join(lines)
