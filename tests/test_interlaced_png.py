"""Interlaced (Adam7) PNGs reduced while decoding (`images._Adam7`): the
pixels of the same PNG not interlaced, in the same bounded memory."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from test_images import assert_reduced_in_bounded_memory, block_mean

from colorize.data import images
from colorize.errors import ImageError

import bad_inputs

ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def pngs(samples, color_type, depth, chunks=()):
    """The same samples `(h, w, channels)` as a plain and as an interlaced PNG."""
    h, w = samples.shape[:2]
    plain = bad_inputs.raw_png(w, h, bad_inputs._pack(samples.reshape(h, -1), depth), color_type, depth, chunks)
    rows = b"".join(
        bad_inputs._pack(sub.reshape(sub.shape[0], -1), depth)
        for x0, y0, dx, dy in ADAM7
        if (sub := samples[y0::dy, x0::dx]).size
    )
    header = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1)  # interlace method 1: Adam7
    interlaced = (
        bad_inputs.PNG_SIGNATURE
        + bad_inputs.png_chunk(b"IHDR", header)
        + b"".join(bad_inputs.png_chunk(kind, data) for kind, data in chunks)
        + bad_inputs.png_chunk(b"IDAT", zlib.compress(rows))
        + bad_inputs.png_chunk(b"IEND", b"")
    )
    return plain, interlaced


def layouts(h, w, seed):
    """(name, plain PNG, interlaced PNG) for every color type and bit depth."""
    rng = np.random.default_rng(seed)
    for ctype, channels, depths in ((0, 1, (1, 2, 4, 8, 16)), (4, 2, (8, 16)), (2, 3, (8, 16)), (6, 4, (8, 16))):
        for depth in depths:
            samples = rng.integers(0, 2**depth, (h, w, channels))
            yield (f"type {ctype}, {depth} bit", *pngs(samples, ctype, depth))
    for depth in (1, 2, 4, 8):
        n = 2**depth
        chunks = [(b"PLTE", rng.integers(0, 256, (n, 3)).astype(np.uint8).tobytes())]
        chunks.append((b"tRNS", np.linspace(0, 255, n).astype(np.uint8)[: max(1, n - 1)].tobytes()))
        yield (f"palette, {depth} bit", *pngs(rng.integers(0, n, (h, w, 1)), 3, depth, chunks))


@pytest.mark.parametrize(("h", "w", "min_short", "factor"), [(24, 40, 12, 2), (24, 40, 8, 3), (157, 203, 31, 5)])
def test_an_interlaced_png_reduces_to_the_pixels_of_the_plain_one(h, w, min_short, factor):
    for name, plain, interlaced in layouts(h, w, seed=h):
        full = images.load_image(plain)  # whole, not reduced: the reference pixels
        np.testing.assert_array_equal(images.load_image(interlaced), full)  # whole, by libvips
        got = images.load_image(interlaced, min_short_side=min_short)
        assert got.shape == (h // factor, w // factor, 3), name
        np.testing.assert_array_equal(got, block_mean(full, factor), err_msg=name)  # rounded half up
        # The plain PNG streamed by libvips: within its rounding of halves.
        streamed = images.load_image(plain, min_short_side=min_short)
        assert np.abs(got.astype(int) - streamed).max() <= 1, name


def test_interlaced_pngs_keep_their_orientation_and_fail_in_one_line():
    samples = np.random.default_rng(1).integers(0, 256, (24, 40, 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to display
    payload = exif.tobytes()
    payload = payload[6:] if payload.startswith(b"Exif\x00\x00") else payload  # eXIf holds the TIFF data
    plain, interlaced = pngs(samples, 2, 8, [(b"eXIf", payload)])
    got, streamed = images.load_image(interlaced, min_short_side=6), images.load_image(plain, min_short_side=6)
    assert got.shape == streamed.shape == (10, 6, 3)  # 6 x 10 reduced by 4, then turned
    assert np.abs(got.astype(int) - streamed).max() <= 1
    with pytest.raises(ImageError, match=r"^<bytes>: (truncated|corrupt) image data"):
        images.load_image(interlaced[: len(interlaced) // 2], min_short_side=6)
    broken = bytearray(interlaced)
    start = broken.index(b"IDAT") + 20
    broken[start : start + 40] = bytes(40)
    with pytest.raises(ImageError, match=r"^<bytes>: (truncated|corrupt) image data"):
        images.load_image(bytes(broken), min_short_side=6)


def large_interlaced_png(path, side):
    """A side x side interlaced RGB PNG of the colored bands of
    `bad_inputs.large_png`, written pass by pass without holding it decoded."""
    x = np.arange(side)
    z = zlib.compressobj(1)
    with open(path, "wb") as f:
        header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 1)
        f.write(bad_inputs.PNG_SIGNATURE + bad_inputs.png_chunk(b"IHDR", header))
        parts = []
        for x0, y0, dx, dy in ADAM7:
            cols = x[x0::dx]
            row = np.empty((cols.size, 3), np.uint8)
            row[:, 0], row[:, 1], row[:, 2] = cols * 255 // side, 200, 40
            line = b"\x00" + row.tobytes()
            rows = len(range(y0, side, dy))
            for start in range(0, rows, 256):
                parts.append(z.compress(line * min(256, rows - start)))
        parts.append(z.flush())
        f.write(bad_inputs.png_chunk(b"IDAT", b"".join(parts)))
        f.write(bad_inputs.png_chunk(b"IEND", b""))
    return path


@pytest.mark.slow
def test_a_huge_interlaced_png_is_reduced_in_the_bounded_memory_of_a_plain_one(tmp_path):
    # As tests/test_images.py's huge PNG (8000 x 8000, 192 MB decoded, +28 MB
    # measured to reduce it plain), interlaced: under the same 128 MB.
    path = large_interlaced_png(str(tmp_path / "huge.png"), 8000)
    assert_reduced_in_bounded_memory(path)
