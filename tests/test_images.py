"""Tests for colorize.data.images: decoding any file to 8-bit BGR, in bounded memory."""

import io
import os
import re
import textwrap

import cv2
import numpy as np
import pytest
import pyvips
from PIL import Image, ImageOps

from colorize.data import images, sketch
from colorize.errors import ColorizeError, ImageError

import bad_inputs
import helpers

SIZE = bad_inputs.DECODED_SIDE


def png_bytes(im, **kwargs):
    return bad_inputs.encode(im, "PNG", **kwargs)


def jpeg_bytes(im, **kwargs):
    return bad_inputs.encode(im, "JPEG", **kwargs)


def textured(h, w, seed=0):
    """A smooth random RGBA image, so PNG encoders use every row filter."""
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), (0, 0), 3)


def block_mean(img, factor):
    """Means of factor x factor blocks of (h, w, c) uint8, rounded half up;
    the partial blocks at the right and bottom are dropped."""
    h, w = img.shape[0] // factor, img.shape[1] // factor
    blocks = img[: h * factor, : w * factor].reshape(h, factor, w, factor, -1).astype(np.int64)
    return ((2 * blocks.sum(axis=(1, 3)) + factor * factor) // (2 * factor * factor)).astype(np.uint8)


def test_every_png_layout_decodes_to_the_documented_values(tmp_path):
    # Gray 1/2/4/8/16 bit, gray+alpha, RGB, RGBA 8/16, palette 1/2/4/8 with
    # and without tRNS: exactly the values the module docstring defines,
    # computed from the raw samples (not by another decoder).
    expected = bad_inputs.decodable_expected()
    corpus = dict(bad_inputs.decodable_corpus(tmp_path))
    assert len(expected) == 19
    for name, rgb in expected.items():
        got = images.load_image(corpus[name])
        np.testing.assert_array_equal(got[..., ::-1], rgb, err_msg=name)
        with open(corpus[name], "rb") as f:  # bytes decode alike
            np.testing.assert_array_equal(images.load_image(f.read()), got, err_msg=name)


def test_jpegs_decode_like_pil(tmp_path):
    corpus = dict(bad_inputs.decodable_corpus(tmp_path))
    for name in ("jpeg_gray.jpg", "jpeg_rgb.jpg", "jpeg_exif_rotated.jpg"):
        with Image.open(corpus[name]) as im:
            reference = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        got = images.load_image(corpus[name])[..., ::-1]
        assert got.shape == reference.shape == ((64, 48, 3) if "rotated" in name else (48, 64, 3))
        # Both use libjpeg-turbo's accurate IDCT; allow one level for builds.
        assert np.abs(got.astype(int) - reference).max() <= 1, name
    # CMYK: R = round((255 - C) * (255 - K) / 255) on the uninverted samples.
    with Image.open(corpus["jpeg_cmyk.jpg"]) as im:
        cmyk = np.asarray(im).astype(np.int64)
    expected = (2 * (255 - cmyk[..., :3]) * (255 - cmyk[..., 3:]) + 255) // 510
    got = images.load_image(corpus["jpeg_cmyk.jpg"])[..., ::-1]
    assert np.abs(got.astype(int) - expected).max() <= 1


def test_rgba_on_transparent_becomes_white_not_black(tmp_path):
    rgba = np.zeros((300, 300, 4), np.uint8)  # transparent black
    rgba[100:200, 100:200] = (255, 0, 0, 255)  # an opaque red square
    rgba[0:10, 0:10] = (0, 0, 255, 128)  # half-transparent blue
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    bgr = images.load_image(path)
    assert bgr.shape == (300, 300, 3) and bgr.dtype == np.uint8
    assert (bgr[250:, 250:] == 255).all()
    assert (bgr[150, 150] == (0, 0, 255)).all()
    np.testing.assert_array_equal(bgr[5, 5], (255, 127, 127))  # 255 - round(255 * 128 / 255)
    assert sketch.prepare_examples(bgr)[1] is None  # the red square is colorful


def test_the_corpus_decodes_or_fails_with_one_line(tmp_path):
    files = bad_inputs.write_decoding_corpus(tmp_path)
    assert set(files) == set(bad_inputs.DECODING) | {"denied.png"}
    for name, outcome in bad_inputs.DECODING.items():
        if outcome[0] == "error":
            with pytest.raises(ImageError) as info:
                images.load_image(files[name], min_short_side=SIZE)
            message = str(info.value)
            assert outcome[1] in message, (name, message)
            assert message.startswith(files[name] + ": ") and "\n" not in message
            assert info.value.path == files[name]
        else:
            _, shape, reason = outcome
            bgr = images.load_image(files[name], min_short_side=SIZE)
            assert bgr.shape == shape and bgr.dtype == np.uint8, name
            assert sketch.prepare_examples(bgr)[1] == reason, name
    # Values: 16-bit 32896 / 257 = 128; transparent paper is white; a GIF
    # and a WebP give their first frame; a transparent palette index is white.
    art = bad_inputs.art()[..., ::-1]
    assert (images.load_image(files["gray16.png"]) == 128).all()
    np.testing.assert_array_equal(images.load_image(files["rgb16.png"]), art)
    np.testing.assert_array_equal(images.load_image(files["animated.webp"]), art)
    gif = images.load_image(files["animated.gif"])
    with Image.open(files["animated.gif"]) as im:
        np.testing.assert_array_equal(gif[..., ::-1], np.asarray(im.convert("RGB")))
    with Image.open(files["palette.png"]) as im:
        index0 = np.asarray(im) == 0
    assert index0.any() and (images.load_image(files["palette.png"])[index0] == 255).all()
    # Without a reduction, these headers are refused before any decoding.
    with pytest.raises(ImageError, match="too large: 30000x30000 pixels is over the limit of 40000000"):
        images.load_image(files["short_data.png"])


def test_header_reason_reads_the_header_only_and_agrees_with_load_image(tmp_path):
    files = bad_inputs.write_decoding_corpus(tmp_path)
    at_header = {"zero.png", "text.png", "bomb.png", "bomb_max.png", "loop.png", "dangling.png", "missing.png"}
    at_header |= {"empty_dir", "folder.png"}
    for name, outcome in bad_inputs.DECODING.items():
        reason = images.header_reason(files[name])
        if name in at_header:  # the same reason, word for word, as the full decode gives
            with pytest.raises(ImageError) as info:
                images.load_image(files[name])
            assert reason == info.value.reason, name
            assert outcome[1] in reason, (name, reason)
        else:  # decodable, or broken only after a good header (truncated, corrupt data)
            assert reason is None, (name, reason)
            assert outcome[0] == "decoded" or "truncated" in outcome[1] or "corrupt" in outcome[1], name
        if outcome[0] == "decoded":  # the header's size is the decoded one, in both decoders
            height, width = images.load_image(files[name]).shape[:2]
            assert images.header_size(files[name]) == (width, height), name
        elif name in at_header:
            with pytest.raises(ImageError, match=re.escape(reason)):
                images.header_size(files[name])
    # A header of 30000x30000 pixels is read, not decoded: refused later, at the decoded-pixel limit.
    assert images.header_reason(files["short_data.png"]) is None


def test_bytes_source_names_the_input():
    with pytest.raises(ImageError, match=r"^upload\.png: not an image"):
        images.load_image(b"GIF? no", name="upload.png")
    with pytest.raises(ImageError, match=r"^<bytes>: empty data"):
        images.load_image(b"")
    bgr = images.load_image(png_bytes(Image.new("RGB", (3, 2), (10, 20, 30))))
    assert bgr.shape == (2, 3, 3) and (bgr == (30, 20, 10)).all()
    with pytest.raises(ColorizeError, match="min_short_side must be >= 1"):
        images.load_image(b"x", min_short_side=0)


def test_formats_libvips_leaves_to_pillow(tmp_path):
    # BMP and TIFF (16-bit gray too) go through Pillow with the same semantics.
    rgb = bad_inputs.art(2, 40, 56)
    Image.fromarray(rgb).save(tmp_path / "a.bmp")
    np.testing.assert_array_equal(images.load_image(tmp_path / "a.bmp")[..., ::-1], rgb)
    gray16 = np.arange(40 * 56, dtype=np.uint16).reshape(40, 56) * 29
    Image.fromarray(gray16).save(tmp_path / "g.tif")
    expected = ((gray16.astype(np.int64) + 128) // 257).astype(np.uint8)
    np.testing.assert_array_equal(images.load_image(tmp_path / "g.tif")[..., 0], expected)
    reduced = images.load_image(tmp_path / "a.bmp", min_short_side=20)
    assert reduced.shape == (20, 28, 3)
    assert np.abs(reduced[..., ::-1].astype(int) - block_mean(rgb, 2)).max() <= 1


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(png_bytes(Image.new("RGB", (4, 4))))
    # Root reads files whatever their mode, so the denial is simulated in
    # Python's open, which the decoder goes through (libvips reads the
    # descriptor Python opened)...
    monkeypatch.setattr("builtins.open", bad_inputs.open_as_user(open))
    path.chmod(0)
    try:
        with pytest.raises(ImageError, match="secret.png: permission denied$"):
            images.load_image(path)
        monkeypatch.undo()
        # ... and also checked for real where it can be.
        if not os.access(path, os.R_OK):
            with pytest.raises(ImageError, match="permission denied"):
                images.load_image(path)
    finally:
        path.chmod(0o644)


def test_max_pixels_refuses_clearly():
    data = png_bytes(Image.new("RGB", (300, 200), (1, 2, 3)))
    with pytest.raises(ImageError, match=r"too large: 300x200 pixels is over the limit of 50000"):
        images.load_image(data, max_pixels=50_000)
    # A PNG streams, reduced while decoding; an interlaced one is reduced
    # pass by pass (tests/test_interlaced_png.py): only the reduced size counts.
    flat = (pyvips.Image.black(300, 200) + 90).cast("uchar")
    assert images.load_image(flat.pngsave_buffer(), min_short_side=100, max_pixels=50_000).shape == (100, 150, 3)
    interlaced = images.load_image(flat.pngsave_buffer(interlace=True), min_short_side=100, max_pixels=50_000)
    assert interlaced.shape == (100, 150, 3) and np.all(interlaced == 90)
    with pytest.raises(ImageError, match=r"too large: 300x200 pixels is over the limit of 50000"):
        images.load_image(flat.pngsave_buffer(interlace=True), max_pixels=50_000)  # whole: libvips, full size
    # A JPEG reduced by libjpeg while decoding fits where its full size would not.
    jpg = jpeg_bytes(Image.new("RGB", (2048, 1536), (200, 30, 40)), quality=95)
    bgr = images.load_image(jpg, min_short_side=256, max_pixels=600_000)
    assert bgr.shape == (384, 512, 3)  # 1/4 scale: 1/8 would go under 256
    assert np.abs(bgr[100, 100].astype(int) - (40, 30, 200)).max() <= 3
    with pytest.raises(ImageError, match=r"reduced from 2048x1536"):
        images.load_image(jpg, min_short_side=256, max_pixels=100_000)
    # A PNG whose reduced size would still be too large is refused before
    # any decoding (its data holds one row).
    tall = bad_inputs.raw_png(600, 1_500_000, b"\x00" * 1801)
    with pytest.raises(ImageError, match=r"too large: 300x750000 pixels \(reduced from 600x1500000\)"):
        images.load_image(tall, min_short_side=256)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_exif_orientation_matches_pil(orientation, fmt, tmp_path):
    rgb = textured(24, 40)[..., :3]
    rgb[:6, :6] = (255, 0, 0)  # an asymmetric mark
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = bad_inputs.encode(Image.fromarray(rgb), fmt, exif=exif, **({"lossless": True} if fmt == "WEBP" else {}))
    with Image.open(io.BytesIO(data)) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    got = images.load_image(data)[..., ::-1]
    assert got.shape == expected.shape
    assert np.abs(got.astype(int) - expected).max() <= (1 if fmt == "JPEG" else 0)
    (tmp_path / "turned").write_bytes(data)  # the header tells the turned size (hints are checked against it)
    assert images.header_size(tmp_path / "turned") == (got.shape[1], got.shape[0])
    if fmt == "PNG":  # Pillow's TIFF plugin turns the size as it opens; its other formats do not
        Image.fromarray(rgb).save(tmp_path / "turned.tif", exif=exif)
        height, width = images.load_image(tmp_path / "turned.tif").shape[:2]
        assert (height, width) == got.shape[:2]
        assert images.header_size(tmp_path / "turned.tif") == (width, height)
    # Reduced, the orientation is applied to the reduced image.
    reduced = images.load_image(data, min_short_side=12)[..., ::-1]
    assert reduced.shape == (expected.shape[0] // 2, expected.shape[1] // 2, 3)


@pytest.mark.parametrize("name", sorted(bad_inputs.decodable_expected()))
def test_reduction_is_the_block_mean_of_the_full_decode(name, tmp_path):
    path = dict(bad_inputs.decodable_corpus(tmp_path))[name]
    full = images.load_image(path)  # 24 x 40
    for min_short, factor in ((12, 2), (7, 3), (5, 4)):
        got = images.load_image(path, min_short_side=min_short)
        expected = block_mean(full, factor)
        assert got.shape == expected.shape == (24 // factor, 40 // factor, 3)
        # libvips rounds the mean of integers; allow one level for its
        # rounding of exact halves.
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, (name, factor)


def assert_reduced_in_bounded_memory(path):
    """Reduces the 8000 x 8000 colored-band PNG at `path` to a 256 px short
    side in a fresh process: the right bands, and under 128 MB more than
    after the imports."""
    # Peak (VmHWM) minus resident size after the imports, in a fresh process.
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import bad_inputs
        from colorize.data import images

        with open("/proc/self/status") as f:
            before = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) >> 10
        bgr = images.load_image({path!r}, min_short_side=256)
        print(bgr.shape, int(bgr[100, 0, 2]), int(bgr[100, -1, 2]), int(bgr[5, 5, 1]),
              bad_inputs.peak_rss_mb() - before)
    """)
    out = helpers.run_python(["-c", script])
    shape, red_left, red_right, green, grown_mb = out.stdout.strip().rsplit(" ", 4)
    assert shape == "(258, 258, 3)"  # 8000 // 31
    assert int(red_left) <= 4 and int(red_right) >= 250 and int(green) == 200
    assert int(grown_mb) < 128, out.stdout


@pytest.mark.slow
def test_huge_png_is_streamed_in_bounded_memory(tmp_path):
    # 8000 x 8000 RGB (64 MP, 192 MB decoded) with colored bands: decoding it
    # whole is refused by the 40 MP limit; reducing it to a 256 px short side
    # streams it. Measured: +28 MB. A whole decode needs >= 192 MB for the
    # pixels alone, so a bound of 128 MB tells the two apart with room for
    # libvips' thread buffers on machines with more cores.
    path = bad_inputs.large_png(str(tmp_path / "huge.png"), 8000)
    assert_reduced_in_bounded_memory(path)
    with pytest.raises(ImageError, match="too large: 8000x8000 pixels"):
        images.load_image(path)


def test_find_images(tmp_path):
    for name in (
        "b.png",
        "A.JPG",
        "sub/c.webp",
        "sub/deeper/d.bmp",
        "sub/e.jpeg",
        "notes.txt",
        "sub/f.gif",
        "sub/.hidden.png",
        "sub/g.tif",
        "sub/h.TIFF",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")  # a folder loop
    found = [os.path.relpath(p, tmp_path) for p in images.find_images(tmp_path)]
    expected = ["A.JPG", "b.png", "sub/.hidden.png", "sub/c.webp", "sub/deeper/d.bmp", "sub/e.jpeg", "sub/g.tif"]
    assert found == [*expected, "sub/h.TIFF"]
    with pytest.raises(ColorizeError, match="no such folder"):
        images.find_images(tmp_path / "nope")
    with pytest.raises(ColorizeError, match="not a folder"):
        images.find_images(tmp_path / "b.png")
