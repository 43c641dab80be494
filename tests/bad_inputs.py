"""The bad-input corpus, generated into a folder (never downloaded).

Each `Case` is one file (or link, or folder) with the outcome every entry
point must give for it:

- `build`: the TFDS builder's `folder` config reading it from --manual_dir:
  `windows: N` (N training windows written), `skipped: too small`,
  `skipped: colorless`, `skipped: unreadable: FRAGMENT` (a one-line warning
  `skipped RELPATH: REASON` containing FRAGMENT), or `ignored` (not an image
  file name, never read).
- `predict`: `python -m colorize.predict` given its path: `processed` (a PNG
  of the input's size is written) or `rejected: FRAGMENT` (one line
  `error: PATH: REASON` on stderr; the run exits with status 1).
- `serving`: the exported SavedModel's `serving_default` signature given the
  file's bytes: `processed` or `rejected: FRAGMENT` (InvalidArgumentError);
  `n/a` when there are no bytes to send (a missing path, a link loop, ...).

`write_corpus(folder)` writes the files and returns the cases;
`markdown_table()` renders the table for the README (README.md, "Inputs").

The decoder's own view of the same corpus (`colorize.data.images.load_image`
with a 256 px minimum short side, as the builder calls it) is `DECODING`;
`write_decoding_corpus(folder)` adds the few files only the decoder tests
use (a folder named like an image, headers of 2^31 - 1 pixels, ...).
`decodable_corpus(folder)` writes one valid file per PNG color type and bit
depth and per JPEG kind, and `decodable_expected()` gives the RGB pixels the
documented decoding semantics (module docstring of `colorize.data.images`) give
for them.

Helpers shared by the test files: `png_chunk`, `raw_png`, `env`.

Run `python tests/bad_inputs.py FOLDER` to write the corpus somewhere and
look at it.
"""

import builtins
import dataclasses
import errno
import io
import os
import struct
import sys
import zlib

import cv2
import numpy as np
from PIL import Image

from colorize.data import synthetic

PROCESSED = "processed"
NOT_REACHABLE = "n/a"
SIDE = 264
"""Side of the ordinary corpus images: above the builder's 256 px minimum,
so that every readable colorful file gives exactly one window."""

GIGANTIC = 100_000
"""Side claimed by the decompression-bomb header (10^10 pixels)."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclasses.dataclass(frozen=True)
class Case:
    """One corpus entry and its expected outcome per entry point.

    Attributes:
      name: path relative to the corpus folder.
      what: what it is, for people.
      build: outcome of the builder's folder config (see the module doc).
      predict: outcome of `colorize.predict`.
      serving: outcome of the SavedModel's `serving_default` signature.
      size: (height, width) a processed output has (None: not processed).
      special: how the entry is made unusual beyond its bytes: "denied"
        (no read permission), "missing", "loop", "empty_dir" or "".
    """

    name: str
    what: str
    build: str
    predict: str
    serving: str
    size: tuple = None
    special: str = ""


def rejected(fragment):
    return f"rejected: {fragment}"


def unreadable(fragment):
    return f"skipped: unreadable: {fragment}"


# The cases, in the order the README lists them. The messages are fragments
# of the one-line reasons `colorize.data.images.load_image` and the export graph
# give; the builder's and predict's messages come from the same decoder.
CASES = (
    Case(
        "zero.png",
        "zero-byte file",
        unreadable("empty file (0 bytes)"),
        rejected("empty file (0 bytes)"),
        rejected("not a PNG or JPEG (0 bytes)"),
    ),
    Case(
        "truncated.png",
        "PNG cut in half",
        unreadable("truncated image data"),
        rejected("truncated image data"),
        rejected("Invalid PNG data"),
    ),
    Case(
        "truncated.jpg",
        "JPEG cut in half",
        unreadable("truncated image data"),
        rejected("truncated image data"),
        rejected("Invalid JPEG data"),
    ),
    Case(
        "text.png",
        "text file named .png",
        unreadable("not an image (unrecognized format)"),
        rejected("not an image (unrecognized format)"),
        rejected("not a PNG or JPEG"),
    ),
    Case("rgb16.png", "16-bit RGB PNG", "windows: 1", PROCESSED, PROCESSED, (SIDE, SIDE)),
    Case(
        "gray.png", "8-bit grayscale PNG of an illustration", "skipped: colorless", PROCESSED, PROCESSED, (SIDE, SIDE)
    ),
    Case(
        "gray_alpha.png",
        "gray+alpha PNG: dark lines on a transparent background",
        "skipped: colorless",
        PROCESSED,
        PROCESSED,
        (SIDE, SIDE),
    ),
    Case(
        "rgba.png",
        "RGBA PNG, colored drawing on a transparent (black) background",
        "windows: 2",
        PROCESSED,
        PROCESSED,
        (SIDE, 2 * SIDE),
    ),
    Case(
        "palette.png", "palette (P mode) PNG with a transparent index", "windows: 1", PROCESSED, PROCESSED, (SIDE, SIDE)
    ),
    Case("cmyk.jpg", "CMYK JPEG", "windows: 1", PROCESSED, PROCESSED, (SIDE, SIDE)),
    Case(
        "animated.webp",
        "animated WebP (2 frames)",
        "windows: 1",
        PROCESSED,
        rejected("not a PNG or JPEG"),
        (SIDE, SIDE),
    ),
    Case("animated.gif", "animated GIF (2 frames)", "ignored", PROCESSED, rejected("not a PNG or JPEG"), (SIDE, SIDE)),
    Case("one.png", "1x1 image", "skipped: too small", PROCESSED, PROCESSED, (1, 1)),
    Case("small.png", "200x120 image (under 256 px)", "skipped: too small", PROCESSED, PROCESSED, (120, 200)),
    Case("white.png", "all-white image", "skipped: colorless", PROCESSED, PROCESSED, (SIDE, SIDE)),
    Case("black.jpg", "all-black JPEG", "skipped: colorless", PROCESSED, PROCESSED, (SIDE, SIDE)),
    Case(
        "bomb.png",
        f"PNG whose header claims {GIGANTIC}x{GIGANTIC} pixels (100 bytes of data)",
        unreadable(f"too large: {GIGANTIC}x{GIGANTIC} pixels"),
        rejected(f"too large: {GIGANTIC}x{GIGANTIC} pixels"),
        rejected(f"too large: {GIGANTIC}x{GIGANTIC} pixels"),
    ),
    Case(
        "denied.png",
        "a good image without read permission",
        unreadable("permission denied"),
        rejected("permission denied"),
        NOT_REACHABLE,
        special="denied",
    ),
    Case(
        "loop.png",
        "symbolic link loop (loop.png -> loop2.png.lnk -> loop.png)",
        unreadable("symbolic link loop"),
        rejected("symbolic link loop"),
        NOT_REACHABLE,
        special="loop",
    ),
    Case(
        "dangling.png",
        "symbolic link to a file that does not exist",
        unreadable("broken symbolic link"),
        rejected("broken symbolic link"),
        NOT_REACHABLE,
        special="dangling",
    ),
    Case(
        "missing.png",
        "a path that does not exist (given to predict by name)",
        "n/a",
        rejected("no such file"),
        NOT_REACHABLE,
        special="missing",
    ),
    Case(
        "empty_dir",
        "a folder with no images (given to predict by name)",
        "n/a",
        rejected("folder holds no images"),
        NOT_REACHABLE,
        special="empty_dir",
    ),
)


def by_name():
    """{name: Case}."""
    return {case.name: case for case in CASES}


# ---------------------------------------------------------------- writing --


def art(seed=3, height=SIDE, width=SIDE):
    """A colorful synthetic illustration, (height, width, 3) uint8 RGB."""
    return np.ascontiguousarray(synthetic.generate(seed, height, width, synthetic.FULL_SCENES)[..., ::-1])


def encode(im, fmt, **kwargs):
    """Encoded bytes of a PIL image."""
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_chunk(kind, data):
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width=GIGANTIC, height=GIGANTIC):
    """A valid-looking PNG whose header claims width x height RGB pixels but
    that holds one compressed row: decoding it in full would need
    3 * width * height bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (3 * min(width, 1 << 16) + 1))
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def large_png(path, side=8000):
    """Writes a real side x side RGB PNG (colored bands, 3 * side^2 bytes
    decoded, about 1 MB on disk) without ever holding it decoded.

    Returns:
      the path.
    """
    band_rows = max(1, min(side, (32 << 20) // (3 * side)))
    band = np.empty((band_rows, side, 3), np.uint8)
    band[..., 0] = (np.arange(side) * 255 // side)[np.newaxis]
    band[..., 1] = 200
    band[..., 2] = 40
    rows = np.concatenate([np.zeros((band_rows, 1), np.uint8), band.reshape(band_rows, -1)], 1)
    z = zlib.compressobj(1)
    parts = []
    done = 0
    while done < side:
        n = min(band_rows, side - done)
        parts.append(z.compress(rows[:n].tobytes()))
        done += n
    parts.append(z.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(PNG_SIGNATURE + png_chunk(b"IHDR", header))
        f.write(png_chunk(b"IDAT", b"".join(parts)))
        f.write(png_chunk(b"IEND", b""))
    return path


def drawing(height, width, seed=0):
    """A gray line drawing (dark strokes on white), (height, width) uint8."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width), 255, np.uint8)
    for _ in range(12):
        p = tuple(int(v) for v in rng.integers(0, (width, height)))
        q = tuple(int(v) for v in rng.integers(0, (width, height)))
        cv2.line(img, p, q, int(rng.integers(0, 90)), int(rng.integers(1, 4)), cv2.LINE_AA)
    cv2.circle(img, (width // 2, height // 2), min(height, width) // 3, 0, 2, cv2.LINE_AA)
    return img


def _contents():
    """{name: bytes} of the corpus's regular files."""
    rgb = art()
    png = encode(Image.fromarray(rgb), "PNG")
    jpg = encode(Image.fromarray(rgb), "JPEG", quality=90)
    # Colored drawing on a transparent background whose hidden color is
    # black: left alone, alpha would turn the paper black.
    wide = art(5, SIDE, 2 * SIDE)
    inside = np.zeros((SIDE, 2 * SIDE), np.uint8)
    cv2.ellipse(inside, (SIDE, SIDE // 2), (SIDE - 8, SIDE // 2 - 8), 0, 0, 360, 1, -1)
    paper = inside == 0  # transparent outside a centered ellipse
    rgba = np.dstack([np.where(paper[..., None], 0, wide), np.where(paper, 0, 255)]).astype(np.uint8)
    lines = drawing(SIDE, SIDE, seed=1)
    gray_alpha = np.dstack([np.zeros_like(lines), 255 - lines])  # black ink, alpha = darkness
    palette = Image.fromarray(rgb).quantize(32)
    other = art(8)
    files = {
        "zero.png": b"",
        "truncated.png": png[: len(png) // 2],
        "truncated.jpg": jpg[: len(jpg) // 2],
        "text.png": b"this is a text file, not a PNG\n" * 20,
        "rgb16.png": cv2.imencode(".png", rgb[..., ::-1].astype(np.uint16) * 257)[1].tobytes(),
        "gray.png": encode(Image.fromarray(rgb).convert("L"), "PNG"),
        "gray_alpha.png": encode(Image.fromarray(gray_alpha, "LA"), "PNG"),
        "rgba.png": encode(Image.fromarray(rgba, "RGBA"), "PNG"),
        "palette.png": encode(palette, "PNG", transparency=0),
        "cmyk.jpg": encode(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=90),
        "animated.webp": encode(
            Image.fromarray(rgb),
            "WEBP",
            save_all=True,
            lossless=True,
            append_images=[Image.fromarray(other)],
            duration=100,
        ),
        "animated.gif": encode(
            Image.fromarray(rgb).quantize(64),
            "GIF",
            save_all=True,
            append_images=[Image.fromarray(other).quantize(64)],
            duration=100,
            loop=0,
        ),
        "one.png": encode(Image.new("RGB", (1, 1), (200, 30, 40)), "PNG"),
        "small.png": encode(Image.fromarray(art(4, 120, 200)), "PNG"),
        "white.png": encode(Image.new("RGB", (SIDE, SIDE), (255, 255, 255)), "PNG"),
        "black.jpg": encode(Image.new("RGB", (SIDE, SIDE), (0, 0, 0)), "JPEG"),
        "bomb.png": bomb_png(),
        "denied.png": png,
    }
    return files


def write_corpus(folder, cases=CASES):
    """Writes the corpus into `folder` (created if needed).

    The "denied" file is written with mode 000; it only denies reading to a
    user that is not root (see `tests/test_reliability.py`, which runs the
    entry points as an unprivileged user when it runs as root).

    Args:
      folder: where to write.
      cases: the cases to write (default: all).

    Returns:
      {name: absolute path} of every case.
    """
    folder = os.path.abspath(os.fspath(folder))
    os.makedirs(folder, exist_ok=True)
    contents = _contents()
    paths = {}
    for case in cases:
        path = os.path.join(folder, case.name)
        paths[case.name] = path
        if case.special == "loop":
            os.symlink("loop2.png.lnk", path)  # the second link is not an image name
            os.symlink(case.name, os.path.join(folder, "loop2.png.lnk"))
        elif case.special == "dangling":
            os.symlink("nowhere.png", path)
        elif case.special == "empty_dir":
            os.makedirs(os.path.join(path, "sub"))
            with open(os.path.join(path, "sub", "notes.txt"), "w") as f:
                f.write("not an image\n")
        elif case.special == "missing":
            pass
        else:
            with open(path, "wb") as f:
                f.write(contents[case.name])
            if case.special == "denied":
                os.chmod(path, 0)
    return paths


def markdown_table():
    """The corpus as a Markdown table: input, builder, predict, serving."""
    lines = ["| input | builder (`folder` config) | `predict` | SavedModel `serving_default` |", "|---|---|---|---|"]
    for case in CASES:
        lines.append(f"| {case.what} | {_md(case.build)} | {_md(case.predict)} | {_md(case.serving)} |")
    return "\n".join(lines)


def _md(outcome):
    """One table cell: `windows: 2` -> "2 windows written", ..."""
    kind, _, detail = outcome.partition(": ")
    if kind == "windows":
        return f"{detail} window{'' if detail == '1' else 's'} written"
    if kind == "skipped":
        reason, _, fragment = detail.partition(": ")
        return f"skipped ({reason})" + (f": `{fragment}`" if fragment else "")
    if kind == "rejected":
        return f"error: `{detail}`"
    return outcome


def peak_rss_mb():
    """This process's peak resident memory in MB (VmHWM).

    Not `getrusage().ru_maxrss`: Linux carries the parent's resident size at
    fork over to the child's maxrss through exec, so a child of a large test
    process would report the parent's size.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) >> 10
    raise OSError("no VmHWM in /proc/self/status")


# ------------------------------------------------------ permission denied --


def open_as_user(real_open):
    """An `open` that refuses to read files without any read permission bit
    (`PermissionError(EACCES)`), as the kernel does for a user who is not
    root; everything else goes to `real_open`."""

    def open_checked(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and not any(c in mode for c in "wax+"):
            try:
                st = os.stat(file)
            except OSError:
                st = None  # real_open reports it
            if st is not None and not st.st_mode & 0o444:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(file))
        return real_open(file, mode, *args, **kwargs)

    return open_checked


def deny_unreadable_files():
    """Makes this process's `open` refuse unreadable files (see
    `open_as_user`) when it runs as root.

    The tests run as root, and root reads files whatever their mode, so a
    mode-000 file is readable. Running the entry points as another user is
    not possible here (the Python install lives under /root, mode 700), so
    the denial is simulated at the one place every reader goes through:
    Python's `open`. Without root it does nothing: the mode is enforced for
    real.
    """
    if os.geteuid() == 0:
        builtins.open = open_as_user(builtins.open)


def command(module, *args):
    """argv that runs `python -m module args...` with unreadable files
    denied (see `deny_unreadable_files`)."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = (
        f"import sys, runpy; sys.path.insert(0, {here!r}); import bad_inputs; "
        f"bad_inputs.deny_unreadable_files(); sys.path.pop(0); "
        f"sys.argv[0] = {module!r}; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", code, *args]


# ------------------------------------------------------ shared helpers --


def raw_png(width, height, rows, color_type=2, depth=8, chunks=()):
    """A PNG file from a header and already filtered row bytes.

    Args:
      width, height: what the header claims (pixels).
      rows: the filtered rows (each a filter byte and the packed samples);
        may hold fewer rows than the header claims.
      color_type, depth: the PNG color type (0 gray, 2 RGB, 3 palette,
        4 gray+alpha, 6 RGBA) and bits per sample.
      chunks: (type, data) chunks between the header and the image data
        (PLTE, tRNS, eXIf).

    Returns:
      bytes.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    body = b"".join(png_chunk(kind, data) for kind, data in chunks)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + body
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


# ------------------------------------------- the decoder's view (sizes) --

DECODED_SIDE = 256
"""The minimum short side the decoder tests ask for (the builder's)."""

# name -> ("error", fragment) or ("decoded", (h, w, 3), prepare_examples reason).
# `denied.png` is left out: root reads it (see `deny_unreadable_files`).
DECODING = {
    "zero.png": ("error", "empty file (0 bytes)"),
    "truncated.png": ("error", "truncated image data"),
    "truncated.jpg": ("error", "truncated image data"),
    "text.png": ("error", "not an image (unrecognized format)"),
    "rgb16.png": ("decoded", (SIDE, SIDE, 3), None),
    "gray.png": ("decoded", (SIDE, SIDE, 3), "colorless"),
    "gray_alpha.png": ("decoded", (SIDE, SIDE, 3), "colorless"),
    "rgba.png": ("decoded", (SIDE, 2 * SIDE, 3), None),
    "palette.png": ("decoded", (SIDE, SIDE, 3), None),
    "cmyk.jpg": ("decoded", (SIDE, SIDE, 3), None),
    "animated.webp": ("decoded", (SIDE, SIDE, 3), None),
    "animated.gif": ("decoded", (SIDE, SIDE, 3), None),
    "one.png": ("decoded", (1, 1, 3), "too small"),
    "small.png": ("decoded", (120, 200, 3), "too small"),
    "white.png": ("decoded", (SIDE, SIDE, 3), "colorless"),
    "black.jpg": ("decoded", (SIDE, SIDE, 3), "colorless"),
    "bomb.png": ("error", f"too large: {GIGANTIC}x{GIGANTIC} pixels"),
    "loop.png": ("error", "symbolic link loop"),
    "dangling.png": ("error", "broken symbolic link"),
    "missing.png": ("error", "no such file"),
    "empty_dir": ("error", "is a directory"),
    # Only in `write_decoding_corpus`:
    "folder.png": ("error", "is a directory"),
    "short_data.png": ("error", "corrupt image data"),
    "bomb_max.png": ("error", f"too large: {2**31 - 1}x{2**31 - 1} pixels"),
    "gray16.png": ("decoded", (260, 270, 3), "colorless"),
    "palette_opaque.png": ("decoded", (SIDE, SIDE, 3), None),
}


def write_decoding_corpus(folder):
    """Writes the corpus and the decoder-only files into `folder`.

    Returns:
      {name: absolute path} of every `DECODING` entry and of denied.png.
    """
    paths = write_corpus(folder)
    folder = os.path.abspath(os.fspath(folder))
    os.makedirs(os.path.join(folder, "folder.png"))
    extras = {
        # The header claims 30000 x 30000 but the data holds one row: with a
        # reduction it would stream, and fails on the missing rows.
        "short_data.png": raw_png(30_000, 30_000, b"\x00" * (3 * 30_000 + 1)),
        "bomb_max.png": raw_png(2**31 - 1, 2**31 - 1, b"\x00"),
        "gray16.png": cv2.imencode(".png", np.full((260, 270), 32896, np.uint16))[1].tobytes(),
        "palette_opaque.png": encode(Image.fromarray(art()).quantize(16), "PNG"),
    }
    for name, data in extras.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    paths.update({name: os.path.join(folder, name) for name in ["folder.png", *extras]})
    return paths


# --------------------------------------- one file per decodable layout --

_DECODABLE_SHAPE = (24, 40)  # (height, width) of every decodable PNG


def _pack(samples, depth):
    """Filtered PNG rows (filter 0) of (h, w * channels) integer samples."""
    h = samples.shape[0]
    if depth == 16:
        packed = samples.astype(">u2").view(np.uint8).reshape(h, -1)
    elif depth == 8:
        packed = samples.astype(np.uint8)
    else:
        per_byte = 8 // depth
        width = samples.shape[1]
        padded = np.zeros((h, -(-width // per_byte) * per_byte), np.uint8)
        padded[:, :width] = samples
        groups = padded.reshape(h, -1, per_byte)
        shifts = np.arange(per_byte - 1, -1, -1) * depth
        packed = (groups << shifts).sum(axis=2).astype(np.uint8)
    return np.concatenate([np.zeros((h, 1), np.uint8), packed], axis=1).tobytes()


def _to8(samples, depth):
    """The documented 8-bit value of samples of a bit depth."""
    samples = samples.astype(np.int64)
    if depth == 16:
        return ((samples + 128) // 257).astype(np.uint8)
    return (samples * 255 // (2**depth - 1)).astype(np.uint8)


def _on_white(rgb, alpha):
    """255 - round((255 - c) * a / 255) on uint8 arrays ((h, w, 3), (h, w))."""
    ink = (255 - rgb.astype(np.int64)) * alpha.astype(np.int64)[..., None]
    return (255 - (2 * ink + 255) // 510).astype(np.uint8)


def _decodable():
    """{name: (encoded bytes, expected (h, w, 3) uint8 RGB or None)}."""
    h, w = _DECODABLE_SHAPE
    rng = np.random.default_rng(11)
    out = {}
    color_types = {"gray": (0, 1), "gray_alpha": (4, 2), "rgb": (2, 3), "rgba": (6, 4)}
    for kind, (ctype, channels) in color_types.items():
        for depth in (1, 2, 4, 8, 16) if ctype == 0 else (8, 16):
            samples = rng.integers(0, 2**depth, (h, w, channels))
            samples[:, : w // 4, -1] = 2**depth - 1  # some opaque and
            samples[:, -w // 4 :, -1] = 0  # some transparent pixels
            v8 = _to8(samples, depth)
            color = np.repeat(v8[..., :1], 3, axis=2) if channels < 3 else v8[..., :3]
            expected = _on_white(color, v8[..., -1]) if channels in (2, 4) else color
            data = raw_png(w, h, _pack(samples.reshape(h, -1), depth), ctype, depth)
            out[f"png_{kind}_{depth}bit.png"] = (data, expected)
    for depth in (1, 2, 4, 8):
        n = 2**depth
        palette = rng.integers(0, 256, (n, 3))
        indices = rng.integers(0, n, (h, w))
        trns = np.linspace(0, 255, n).astype(np.uint8)[: max(1, n - 1)]  # the last index has no entry
        plte = (b"PLTE", palette.astype(np.uint8).tobytes())
        alpha = np.append(trns, [255] * (n - len(trns)))[indices]
        colors = palette[indices].astype(np.uint8)
        out[f"png_palette_{depth}bit.png"] = (raw_png(w, h, _pack(indices, depth), 3, depth, [plte]), colors)
        out[f"png_palette_trns_{depth}bit.png"] = (
            raw_png(w, h, _pack(indices, depth), 3, depth, [plte, (b"tRNS", trns.tobytes())]),
            _on_white(colors, alpha),
        )
    picture = art(6, 48, 64)
    out["jpeg_gray.jpg"] = (encode(Image.fromarray(picture).convert("L"), "JPEG", quality=95), None)
    out["jpeg_rgb.jpg"] = (encode(Image.fromarray(picture), "JPEG", quality=95), None)
    out["jpeg_cmyk.jpg"] = (encode(Image.fromarray(picture).convert("CMYK"), "JPEG", quality=95), None)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display: 64 x 48
    out["jpeg_exif_rotated.jpg"] = (encode(Image.fromarray(picture), "JPEG", quality=95, exif=exif), None)
    return out


def decodable_corpus(folder):
    """Writes one valid file per PNG color type and bit depth (gray 1, 2, 4,
    8, 16; gray+alpha, RGB and RGBA 8 and 16; palette 1, 2, 4, 8 with and
    without tRNS) and per JPEG kind (gray, RGB, CMYK, EXIF orientation 6).

    The PNGs are 40 x 24 pixels of random samples, a quarter of them opaque
    and a quarter transparent where there is alpha; the JPEGs show a 64 x 48
    synthetic illustration.

    Args:
      folder: where to write (created if needed).

    Returns:
      list of (name, absolute path), in a stable order.
    """
    folder = os.path.abspath(os.fspath(folder))
    os.makedirs(folder, exist_ok=True)
    written = []
    for name, (data, _) in _decodable().items():
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        written.append((name, path))
    return written


def decodable_expected():
    """{name: (h, w, 3) uint8 RGB} of the decodable PNGs, computed from their
    samples with the semantics `colorize.data.images` documents (JPEGs, lossy,
    are left out)."""
    return {name: expected for name, (_, expected) in _decodable().items() if expected is not None}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/bad_inputs.py FOLDER")
    for path in write_corpus(sys.argv[1]).values():
        print(path)
