"""Tests for colorize.sketch: the paper's pipeline and robust image decoding."""

import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image
from PIL import ImageOps

from colorize import sketch
from colorize import synthetic
from colorize.errors import ColorizeError
from colorize.errors import ImageError

SIZE = sketch.SIZE


def png_bytes(im, **kwargs):
    buf = io.BytesIO()
    im.save(buf, "PNG", **kwargs)
    return buf.getvalue()


def jpeg_bytes(im, **kwargs):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def raw_png(width, height, rows, color_type=2, depth=8):
    """A PNG file from a header and already filtered row bytes."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def textured(h, w, seed=0):
    """A smooth random RGBA image, so PNG encoders use every row filter."""
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), (0, 0), 3)


# ------------------------------------------------------------ the pipeline --


def test_extract_sketch_golden_values_of_a_one_pixel_line():
    # A black 1-px column on white: the erode/dilate opening erases it, so
    # diff = 3 * 255 -> 255 on the column only; the 8x8 box (columns x-4..x+3)
    # spreads 255/8 over columns 5..12 (255 - 31.875 = 223); the 3x3 dilation
    # restores 255 at the two outer columns 5 and 12.
    gray = np.full((16, 16), 255, np.uint8)
    gray[:, 8] = 0
    line, binary = sketch.extract_sketch(gray)
    expected = np.full(16, 255, np.uint8)
    expected[6:12] = 223
    np.testing.assert_array_equal(line, np.tile(expected, (16, 1)))
    np.testing.assert_array_equal(binary, np.where(expected == 223, 0, 255)[None].repeat(16, 0))


def test_black_square_gives_dark_edges_and_white_elsewhere():
    img = np.full((64, 64, 3), 255, np.uint8)
    img[16:48, 16:48] = 0
    line, binary = sketch.extract_sketch(img)
    assert line.shape == binary.shape == (64, 64) and line.dtype == np.uint8
    # Every edge of the square has a dark band (the 2-px opening band, blurred).
    for edge in (line[32, 12:20], line[32, 44:52], line[12:20, 32], line[44:52, 32]):
        assert edge.min() <= 191
    assert binary[32, 16] == 0 and binary[16, 32] == 0 and binary[47, 32] == 0
    # Paper far outside and inside the square stays white.
    assert (line[:8] == 255).all() and (line[:, 56:] == 255).all()
    assert (line[26:38, 26:38] == 255).all()
    assert set(np.unique(binary)) == {0, 255}
    assert (binary[26:38, 26:38] == 255).all() and (binary[:8] == 255).all()


@pytest.mark.parametrize("bgr", [(255, 255, 255), (40, 200, 90), (0, 0, 0)])
def test_flat_image_has_no_lines(bgr):
    img = np.full((40, 56, 3), bgr, np.uint8)
    line, binary = sketch.extract_sketch(img)
    assert (line == 255).all()
    assert (binary == 255).all()


def test_saturation_and_colorless_threshold():
    # HSV S = 255 (max - min) / max: (235, 235, 255) has S = 20 exactly.
    assert sketch.saturation(np.full((4, 4, 3), (235, 235, 255), np.uint8)) == 20
    assert sketch.is_colorful(np.full((4, 4, 3), (235, 235, 255), np.uint8))
    assert not sketch.is_colorful(np.full((4, 4, 3), (236, 236, 255), np.uint8))
    half = np.full((4, 4, 3), 255, np.uint8)
    half[:, :2] = (0, 0, 255)  # pure red, S = 255, beside white, S = 0
    assert sketch.saturation(half) == 127.5


def test_colorless_filter_rejects_gray_and_keeps_colorful():
    rng = np.random.default_rng(1)
    gray = np.repeat(rng.integers(0, 256, (64, 64, 1), dtype=np.uint8), 3, axis=2)
    assert sketch.saturation(gray) == 0
    assert not sketch.is_colorful(gray)
    colorful = gray.copy()
    colorful[:, :, 0] = 0  # no blue: saturated yellows and reds
    assert sketch.is_colorful(colorful)


def test_resize_short_side():
    assert sketch.resize_short_side(np.zeros((512, 1024, 3), np.uint8)).shape == (256, 512, 3)
    assert sketch.resize_short_side(np.zeros((700, 300, 3), np.uint8)).shape == (597, 256, 3)
    assert sketch.resize_short_side(np.zeros((100, 150), np.uint8), 50).shape == (50, 75)
    same = np.zeros((256, 300, 3), np.uint8)
    assert sketch.resize_short_side(same) is same
    # INTER_AREA averages when shrinking: a 2x2 checkerboard becomes its mean.
    board = np.indices((512, 512)).sum(0) % 2 * 255
    small = sketch.resize_short_side(board.astype(np.uint8))
    assert small.shape == (256, 256) and np.abs(small.astype(int) - 128).max() <= 1


@pytest.mark.parametrize("length", [256, 257, 300, 320, 511, 512, 513, 700, 1000, 2049])
def test_windows_cover_the_long_side_with_the_papers_count(length):
    offsets = sketch.window_offsets(length)
    assert len(offsets) == -(-length // SIZE)  # ceil(long / short)
    assert offsets[0] == 0 and offsets[-1] == length - SIZE
    covered = np.zeros(length, bool)
    for o in offsets:
        covered[o : o + SIZE] = True
    assert covered.all()
    steps = np.diff(offsets)
    assert len(steps) == 0 or steps.max() - steps.min() <= 1  # equally spaced


def test_window_offsets_examples_and_errors():
    assert sketch.window_offsets(256) == [0]
    assert sketch.window_offsets(320) == [0, 64]
    assert sketch.window_offsets(512) == [0, 256]
    assert sketch.window_offsets(513) == [0, 128, 257]
    assert sketch.window_offsets(10, size=4) == [0, 3, 6]
    with pytest.raises(ColorizeError):
        sketch.window_offsets(255)


def test_crop_windows_landscape_and_portrait():
    wide = np.arange(256 * 320).reshape(256, 320).astype(np.int32)
    windows = sketch.crop_windows(wide)
    assert [w.shape for w in windows] == [(256, 256)] * 2
    np.testing.assert_array_equal(windows[1], wide[:, 64:320])
    tall = np.zeros((600, 256, 3), np.uint8)
    tall[-1] = 7
    windows = sketch.crop_windows(tall)
    assert len(windows) == 3 and windows[-1][-1, 0, 0] == 7
    with pytest.raises(ColorizeError):
        sketch.crop_windows(np.zeros((300, 400), np.uint8))


def test_prepare_examples_rules():
    rng = np.random.default_rng(0)
    colorful = np.zeros((300, 700, 3), np.uint8)
    colorful[..., 2] = 255
    colorful[..., 1] = rng.integers(0, 256, (300, 700))
    windows, reason = sketch.prepare_examples(colorful)
    # 300x700 -> 256x597 -> ceil(597 / 256) = 3 windows.
    assert reason is None and len(windows) == 3
    resized = sketch.resize_short_side(colorful)
    line, binary = sketch.extract_sketch(resized)
    for (color, l, b), o in zip(windows, sketch.window_offsets(597)):
        assert color.shape == (256, 256, 3) and l.shape == b.shape == (256, 256)
        assert color.dtype == l.dtype == b.dtype == np.uint8
        assert color.flags.c_contiguous and l.flags.c_contiguous
        np.testing.assert_array_equal(color, resized[:, o : o + 256])
        np.testing.assert_array_equal(l, line[:, o : o + 256])
        np.testing.assert_array_equal(b, binary[:, o : o + 256])

    assert sketch.prepare_examples(colorful[:255]) == ([], "too small")
    assert sketch.prepare_examples(np.full((256, 256, 3), 255, np.uint8)) == ([], "colorless")
    assert sketch.prepare_examples(np.zeros((400, 256, 3), np.uint8)) == ([], "colorless")
    # Only the colorless window of a half-white image is dropped.
    half = np.full((256, 512, 3), 255, np.uint8)
    half[:, :256] = (255, 0, 0)
    windows, reason = sketch.prepare_examples(half)
    assert reason is None and len(windows) == 1 and (windows[0][0] == (255, 0, 0)).all()
    with pytest.raises(ColorizeError):
        sketch.prepare_examples(np.zeros((300, 300), np.uint8))


# ---------------------------------------------------------------- decoding --


def test_rgba_on_transparent_becomes_white_not_black(tmp_path):
    rgba = np.zeros((300, 300, 4), np.uint8)  # transparent black
    rgba[100:200, 100:200] = (255, 0, 0, 255)  # an opaque red square
    rgba[0:10, 0:10] = (0, 0, 255, 128)  # half-transparent blue
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    bgr = sketch.load_image(path)
    assert bgr.shape == (300, 300, 3) and bgr.dtype == np.uint8
    assert (bgr[250:, 250:] == 255).all()
    assert (bgr[150, 150] == (0, 0, 255)).all()
    np.testing.assert_array_equal(bgr[5, 5], (255, 127, 127))  # 255 - 255 * 128 / 255
    windows, reason = sketch.prepare_examples(bgr)
    assert reason is None  # the red square makes it colorful, white around it


def make_corpus(tmp_path):
    """Writes the bad and odd inputs of issue 8; returns {name: path}."""
    files = {}

    def put(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        files[name] = path

    art = synthetic.generate(3, 300, 280)[..., ::-1]  # colorful RGB
    good_png = png_bytes(Image.fromarray(art))
    good_jpg = jpeg_bytes(Image.fromarray(art), quality=90)
    put("zero.png", b"")
    put("truncated.png", good_png[: len(good_png) // 2])
    put("truncated.jpg", good_jpg[: len(good_jpg) // 2])
    put("text.png", b"hello, I am not a PNG\n" * 10)
    put("gray16.png", cv2.imencode(".png", np.full((260, 270), 32896, np.uint16))[1].tobytes())
    put("gray.png", png_bytes(Image.fromarray(art).convert("L")))
    put("gray_alpha.png", png_bytes(Image.fromarray(
        np.dstack([np.full((260, 260), 60, np.uint8), np.zeros((260, 260), np.uint8)]), "LA")))
    put("rgba.png", png_bytes(Image.fromarray(np.zeros((260, 260, 4), np.uint8), "RGBA")))
    palette = Image.fromarray(art).quantize(16)
    put("palette.png", png_bytes(palette))
    put("palette_transparent.png", png_bytes(palette, transparency=0))
    put("cmyk.jpg", jpeg_bytes(Image.new("CMYK", (300, 260), (255, 0, 0, 0))))
    frames = [Image.new("RGB", (260, 260), c) for c in ((255, 0, 0), (0, 0, 255))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    put("animated.gif", gif.getvalue())
    put("one.png", png_bytes(Image.new("RGB", (1, 1), (255, 0, 0))))
    put("small.png", png_bytes(Image.new("RGB", (200, 300), (255, 0, 0))))
    put("white.png", png_bytes(Image.new("RGB", (300, 300), (255, 255, 255))))
    put("black.jpg", jpeg_bytes(Image.new("RGB", (300, 300), (0, 0, 0))))
    # Decompression-bomb style headers: gigantic sizes, almost no data.
    put("bomb.png", raw_png(30_000, 30_000, b"\x00" * 90_001))
    put("bomb_max.png", raw_png(2**31 - 1, 2**31 - 1, b"\x00"))
    (tmp_path / "folder.png").mkdir()
    files["folder.png"] = tmp_path / "folder.png"
    files["missing.png"] = tmp_path / "missing.png"
    os.symlink(tmp_path / "loop_b.png", tmp_path / "loop_a.png")
    os.symlink(tmp_path / "loop_a.png", tmp_path / "loop_b.png")
    files["loop_a.png"] = tmp_path / "loop_a.png"
    os.symlink(tmp_path / "nowhere.png", tmp_path / "dangling.png")
    files["dangling.png"] = tmp_path / "dangling.png"
    return files


# name -> (expected shape with min_short_side=256 or None, error text or None)
CORPUS = {
    "zero.png": "empty file",
    "truncated.png": "truncated",
    "truncated.jpg": "truncated",
    "text.png": "not an image",
    "folder.png": "is a directory",
    "missing.png": "no such file",
    "loop_a.png": "symbolic link loop",
    "dangling.png": "broken symbolic link",
    "bomb.png": "truncated image data (got",
    "bomb_max.png": "too large",
}
DECODED = {  # name -> (shape, prepare_examples reason)
    "gray16.png": ((260, 270, 3), "colorless"),
    "gray.png": ((300, 280, 3), "colorless"),
    "gray_alpha.png": ((260, 260, 3), "colorless"),
    "rgba.png": ((260, 260, 3), "colorless"),
    "palette.png": ((300, 280, 3), None),
    "palette_transparent.png": ((300, 280, 3), None),
    "cmyk.jpg": ((260, 300, 3), None),
    "animated.gif": ((260, 260, 3), None),
    "one.png": ((1, 1, 3), "too small"),
    "small.png": ((300, 200, 3), "too small"),
    "white.png": ((300, 300, 3), "colorless"),
    "black.jpg": ((300, 300, 3), "colorless"),
}


def test_corpus_outcomes(tmp_path):
    files = make_corpus(tmp_path)
    assert set(files) == set(CORPUS) | set(DECODED)
    for name, expected in CORPUS.items():
        with pytest.raises(ImageError) as info:
            sketch.load_image(files[name], min_short_side=SIZE)
        message = str(info.value)
        assert expected in message, (name, message)
        assert message.startswith(str(files[name]) + ": ") and "\n" not in message
        assert info.value.path == str(files[name])
    for name, (shape, reason) in DECODED.items():
        bgr = sketch.load_image(files[name], min_short_side=SIZE)
        assert bgr.shape == shape and bgr.dtype == np.uint8, name
        assert sketch.prepare_examples(bgr)[1] == reason, name
    # Values: 16-bit 32896 / 257 = 128; gray+alpha and RGBA transparent are
    # white; CMYK cyan is BGR (255, 255, 0); a GIF gives its first frame.
    assert (sketch.load_image(files["gray16.png"]) == 128).all()
    assert (sketch.load_image(files["gray_alpha.png"]) == 255).all()
    assert (sketch.load_image(files["rgba.png"]) == 255).all()
    assert np.abs(sketch.load_image(files["cmyk.jpg"])[5, 5].astype(int) - (255, 255, 0)).max() <= 2
    assert (sketch.load_image(files["animated.gif"])[0, 0] == (0, 0, 255)).all()
    plain = sketch.load_image(files["palette.png"])
    see_through = sketch.load_image(files["palette_transparent.png"])
    index0 = np.asarray(Image.open(files["palette.png"])) == 0
    assert index0.any() and (see_through[index0] == 255).all()
    np.testing.assert_array_equal(see_through[~index0], plain[~index0])
    # Without a reduction the bomb header is refused before any decoding.
    with pytest.raises(ImageError, match="too large: 30000x30000 pixels"):
        sketch.load_image(files["bomb.png"])


def test_bytes_source_names_the_input():
    with pytest.raises(ImageError, match=r"^upload\.png: not an image"):
        sketch.load_image(b"GIF? no", name="upload.png")
    with pytest.raises(ImageError, match=r"^<bytes>: empty data"):
        sketch.load_image(b"")
    bgr = sketch.load_image(png_bytes(Image.new("RGB", (3, 2), (10, 20, 30))))
    assert bgr.shape == (2, 3, 3) and (bgr == (30, 20, 10)).all()


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(png_bytes(Image.new("RGB", (4, 4))))

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root reads files whatever their mode, so the denial is simulated...
    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(ImageError, match="secret.png: permission denied$"):
        sketch.load_image(path)
    monkeypatch.undo()
    # ... and also checked for real where it can be.
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: mode 000 does not block reads")
        with pytest.raises(ImageError, match="permission denied"):
            sketch.load_image(path)
    finally:
        path.chmod(0o644)


def test_max_pixels_refuses_clearly():
    data = png_bytes(Image.new("RGB", (300, 200), (1, 2, 3)))
    with pytest.raises(ImageError, match=r"too large: 300x200 pixels is over the limit of 50000"):
        sketch.load_image(data, max_pixels=50_000)
    # A JPEG reduced by libjpeg while decoding fits where its full size would not.
    jpg = jpeg_bytes(Image.new("RGB", (2048, 1536), (200, 30, 40)), quality=95)
    bgr = sketch.load_image(jpg, min_short_side=256, max_pixels=600_000)
    assert bgr.shape == (384, 512, 3)  # 1/4 scale: 1/8 would go under 256
    assert np.abs(bgr[100, 100].astype(int) - (40, 30, 200)).max() <= 3
    with pytest.raises(ImageError, match=r"reduced from 2048x1536"):
        sketch.load_image(jpg, min_short_side=256, max_pixels=100_000)
    # A streamed PNG whose reduced size would still be too large is refused
    # before any decoding.
    tall = raw_png(600, 1_500_000, b"\x00" * 1801)
    with pytest.raises(ImageError, match=r"too large: 300x750000 pixels \(reduced from "
                                         r"600x1500000\)"):
        sketch.load_image(tall, min_short_side=256)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("streamed", [False, True])
def test_exif_orientation_matches_pil(orientation, streamed, monkeypatch):
    if streamed:
        monkeypatch.setattr(sketch, "STREAM_PIXELS", 0)
    rgb = textured(24, 40)[..., :3]
    rgb[:6, :6] = (255, 0, 0)  # an asymmetric mark
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = png_bytes(im, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    if streamed:  # reduced by 2: compare with the reduced reference
        expected = sketch._box_reduce(expected, 2)
    got = sketch.load_image(data, min_short_side=12 if streamed else None)[..., ::-1]
    assert got.shape == expected.shape
    # Exact, up to the rounding of the streamed path's two-step average.
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= int(streamed)


# A layout of each PNG color type and bit depth.
def _layouts():
    art = textured(150, 110, seed=3)
    rgb = Image.fromarray(art[..., :3])
    key = tuple(int(v) for v in art[0, 0, :3])
    return {
        "RGBA8": png_bytes(Image.fromarray(art, "RGBA")),
        "RGB8": png_bytes(rgb),
        "RGB8 tRNS": png_bytes(rgb, transparency=key),
        "L8": png_bytes(Image.fromarray(art[..., 0])),
        "LA8": png_bytes(Image.fromarray(art[..., :2], "LA")),
        "P8": png_bytes(rgb.quantize(64)),
        "P2": png_bytes(rgb.quantize(4), bits=2),
        "1": png_bytes(Image.fromarray(art[..., 0] > 128)),
        "L16": cv2.imencode(".png", art[..., 0].astype(np.uint16) * 257 + 3)[1].tobytes(),
        "RGB16": cv2.imencode(".png", art[..., :3].astype(np.uint16) * 257)[1].tobytes(),
        "RGBA16": cv2.imencode(".png", art.astype(np.uint16) * 257)[1].tobytes(),
    }


@pytest.mark.parametrize("layout", list(_layouts()))
def test_streamed_png_equals_reduced_full_decode(layout, monkeypatch):
    data = _layouts()[layout]
    full = sketch.load_image(data)
    strips = []
    original = sketch._PngStream._strip

    def spy(self, prev, filtered, n):
        strips.append(n * self.width)
        return original(self, prev, filtered, n)

    monkeypatch.setattr(sketch._PngStream, "_strip", spy)
    monkeypatch.setattr(sketch, "STREAM_PIXELS", 0)
    monkeypatch.setattr(sketch, "_BAND_PIXELS", 110 * 7)  # many strips of 7 rows
    for min_short in (50, 33):
        factor = 110 // min_short
        got = sketch.load_image(data, min_short_side=min_short)
        expected = sketch._box_reduce(full, factor)
        assert got.shape == expected.shape == (150 // factor, 110 // factor, 3)
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1, layout
    assert len(strips) > 20 and max(strips) <= 110 * 7


@pytest.mark.slow
def test_huge_png_is_streamed_in_bounded_memory(tmp_path):
    # 8000 x 8000 RGB (64 MP, 192 MB decoded) with colored bands: decoding it
    # whole is refused by the 40 MP limit, reducing it to a 256 px short side
    # stays within a small memory bound.
    width = height = 8000
    path = tmp_path / "huge.png"
    band = np.zeros((1000, width, 3), np.uint8)
    band[..., 0] = np.arange(width) * 255 // width
    band[..., 1] = 200
    rows = np.concatenate([np.zeros((1000, 1), np.uint8), band.reshape(1000, -1)], axis=1)
    z = zlib.compressobj(1)
    data = b"".join(z.compress(rows.tobytes()) for _ in range(height // 1000)) + z.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))
    del band, rows, data
    # Peak (VmHWM) minus resident size after the imports, in a fresh process.
    # (ru_maxrss would not do: Linux carries it over from the forked parent.)
    script = textwrap.dedent(f"""
        from colorize import sketch

        def status(field):
            with open("/proc/self/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))

        before = status("VmRSS")
        bgr = sketch.load_image({str(path)!r}, min_short_side=256)
        print(bgr.shape, int(bgr[100, 0, 2]), int(bgr[100, -1, 2]), int(bgr[5, 5, 1]),
              (status("VmHWM") - before) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    shape, red_left, red_right, green, grown_mb = out.stdout.strip().rsplit(" ", 4)
    assert shape == "(258, 258, 3)"  # 8000 // 31
    assert int(red_left) <= 4 and int(red_right) >= 250 and int(green) == 200
    assert int(grown_mb) < 64, out.stdout  # a full decode needs >= 192 MB
    with pytest.raises(ImageError, match="too large: 8000x8000 pixels"):
        sketch.load_image(path)


# ------------------------------------------------------------------ folders --


def test_find_images(tmp_path):
    for name in ("b.png", "A.JPG", "sub/c.webp", "sub/deeper/d.bmp", "sub/e.jpeg",
                 "notes.txt", "sub/f.gif", "sub/.hidden.png"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")  # a folder loop
    found = [os.path.relpath(p, tmp_path) for p in sketch.find_images(tmp_path)]
    assert found == ["A.JPG", "b.png", "sub/.hidden.png", "sub/c.webp",
                     "sub/deeper/d.bmp", "sub/e.jpeg"]
    with pytest.raises(ColorizeError, match="no such folder"):
        sketch.find_images(tmp_path / "nope")
    with pytest.raises(ColorizeError, match="not a folder"):
        sketch.find_images(tmp_path / "b.png")
