"""Encoded PNG/JPEG bytes to RGB on white paper (and gray), inside a
TensorFlow graph.

The SavedModel's decoder (`colorizer.Colorizer` calls it), written with
TensorFlow ops only so that the export runs without this project. It gives
the same pixels, level for level, as the Python decoder that `predict` uses
(`colorize.data.images.load_image`; `to_gray` as OpenCV's gray conversion),
for every PNG bit depth
(1, 2, 4, 8, 16) and color type (gray, gray+alpha, RGB, RGBA, palette with
or without a transparent index, gray or RGB with a tRNS color) and for gray
and RGB JPEG (`tests/test_decode_parity.py` runs a corpus through both):

1. PNG is decoded with its own channel count (`channels=0`): asking
   TensorFlow for four channels fills the alpha of a 1-, 2- or 4-bit image
   with 1, 3 or 15 instead of 255, which turns the whole sketch into white
   paper. Low-bit gray is expanded by bit replication, palettes to their
   colors (tRNS to alpha). Samples are read as 16 bits and rounded to 8
   (`round(v / 257)`, as `load_image` does), which leaves 8-bit
   samples unchanged.
2. Alpha is composited on white paper with one rounding:
   `255 - round((255 - c) * a / 255)`, in integers.
3. Color becomes gray with OpenCV's fixed-point ITU-R BT.601 weights
   (`(9798 R + 19235 G + 3735 B + 2**14) >> 15`), in integers, so no float
   rounding can differ (`to_gray`).

JPEG is decoded with the accurate integer IDCT (as libjpeg's default in
libvips and PIL), which also makes gray and CMYK JPEGs equal. Last, the EXIF
orientation of a JPEG (APP1) or PNG (eXIf chunk) is applied
(`exif_orientation`, `orient`), as libvips' autorot does.
"""

import tensorflow as tf

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
GRAY_WEIGHTS_Q15 = (9798, 19235, 3735)
"""OpenCV's fixed-point BT.601 weights for R, G, B (they sum to 2**15); with
them `to_gray` equals `cv2.COLOR_RGB2GRAY` on all 2**24 colors (checked)."""


def checked(value, condition, template, *args):
    """`value`, once `condition` holds; else an InvalidArgumentError.

    The explicit dependency makes the check run before `value` is used, also
    inside `tf.map_fn` bodies, where a free-standing Assert may be pruned.

    Args:
        value: a tensor or nested structure of tensors.
        condition: scalar bool tensor.
        template: message; `{}` placeholders are filled from `args` with
            `tf.strings.format`.
        *args: tensors for the placeholders.

    Returns:
        `value`, with a dependency on the check.
    """
    message = tf.strings.format(template, args, summarize=-1) if args else template
    with tf.control_dependencies([tf.debugging.Assert(condition, [message])]):
        return tf.nest.map_structure(tf.identity, value)


def header_size(data, index, max_pixels):
    """(height, width) from a PNG or JPEG header, without decoding it.

    Args:
        data: scalar tf.string, the encoded image.
        index: the image's position in its batch (for messages).
        max_pixels: largest height x width accepted (Python int).

    Returns:
        (size, data): size is the (2,) int32 (height, width) as displayed
        (swapped when the EXIF orientation turns the image by 90 degrees);
        data is `data` once the checks have passed (decode this, not the
        input).

    Raises:
        tf.errors.InvalidArgumentError: not a PNG or JPEG, a truncated
            header, or more than `max_pixels` pixels (when run).
    """
    is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_SIGNATURE)
    is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), JPEG_SIGNATURE)
    data = checked(data, is_png | is_jpeg, "image {}: not a PNG or JPEG ({} bytes)", index, tf.strings.length(data))

    def png_size():
        header = checked(data, tf.strings.length(data) >= 24, "image {}: truncated PNG header", index)
        raw = tf.cast(tf.io.decode_raw(tf.strings.substr(header, 16, 8), tf.uint8), tf.int64)  # (8,)
        big_endian = tf.constant([1 << 24, 1 << 16, 1 << 8, 1], tf.int64)
        return tf.stack([tf.reduce_sum(raw[4:] * big_endian), tf.reduce_sum(raw[:4] * big_endian)])

    def jpeg_size():
        return tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)

    size = tf.cond(is_png, png_size, jpeg_size)  # (2,) int64: (height, width)
    size = checked(size, tf.reduce_all(size > 0), "image {}: invalid size {}", index, size)
    size = checked(
        size,
        size[0] * size[1] <= max_pixels,
        f"image {{}}: too large: {{}}x{{}} pixels is over the limit of {max_pixels}",
        index,
        size[1],
        size[0],
    )
    with tf.control_dependencies([size]):
        data = tf.identity(data)
    size = tf.cast(size, tf.int32)
    size = tf.where(exif_orientation(data) >= 5, tf.reverse(size, [0]), size)  # as displayed
    return size, data


def _png_rgba(data):
    """(H, W, 4) int32 RGBA 0..255 of a PNG of any bit depth and color type."""
    native = tf.cast(tf.io.decode_png(data, channels=0, dtype=tf.uint16), tf.int32)  # (H, W, C), 0..65535
    samples = (native + 128) // 257  # round(v / 257): 16 bits to 8; 8-bit samples (read as v * 257) unchanged
    opaque = tf.fill(tf.concat([tf.shape(samples)[:2], [1]], 0), 255)  # (H, W, 1)
    gray, alpha = samples[..., :1], samples[..., -1:]
    return tf.switch_case(
        tf.shape(samples)[2] - 1,
        [
            lambda: tf.concat([gray, gray, gray, opaque], -1),  # gray
            lambda: tf.concat([gray, gray, gray, alpha], -1),  # gray + alpha
            lambda: tf.concat([samples, opaque], -1),  # RGB
            lambda: samples,  # RGBA
        ],
    )


def _jpeg_rgba(data):
    """(H, W, 4) int32 RGBA 0..255 of a JPEG (alpha 255)."""
    # The accurate IDCT, as PIL and OpenCV use (TensorFlow's default is the
    # fast one, a few gray levels off).
    rgb = tf.cast(tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"), tf.int32)  # (H, W, 3)
    return tf.concat([rgb, tf.fill(tf.concat([tf.shape(rgb)[:2], [1]], 0), 255)], -1)


EXIF_SEARCH_BYTES = 1 << 16
"""The EXIF block is looked for in the first this many bytes (a JPEG's APP1
segment comes right after its start marker; a PNG's eXIf chunk before the
image data)."""


def _find(raw, pattern):
    """Index of the first occurrence of byte string `pattern` in `raw`
    ((n,) int32 bytes), or -1."""
    n, k = tf.shape(raw)[0], len(pattern)
    starts = tf.range(tf.maximum(n - k + 1, 0))
    hit = tf.ones_like(starts, tf.bool)
    for i, byte in enumerate(pattern):
        hit &= tf.equal(tf.gather(raw, starts + i), byte)
    found = tf.cast(tf.where(hit)[:, 0], tf.int32)
    return tf.cond(tf.size(found) > 0, lambda: found[0], lambda: tf.constant(-1))


def exif_orientation(data):
    """The EXIF orientation tag (1..8) of a JPEG (APP1 "Exif") or PNG (eXIf
    chunk); 1 when there is none or it cannot be read.

    Args:
        data: scalar tf.string, the encoded image.

    Returns:
        int32 scalar.
    """
    raw = tf.cast(tf.io.decode_raw(tf.strings.substr(data, 0, EXIF_SEARCH_BYTES), tf.uint8), tf.int32)  # (n,)
    jpeg, png = _find(raw, b"Exif\x00\x00"), _find(raw, b"eXIf")
    tiff = tf.where(jpeg >= 0, jpeg + 6, tf.where(png >= 0, png + 4, -1))  # start of the TIFF header
    n = tf.shape(raw)[0]
    padded = tf.concat([raw, tf.zeros([12 * 256 + 16], tf.int32)], 0)  # reads past the end give 0

    def at(offset, size, little):
        """Unsigned `size`-byte integers at `offset` (any shape; clamped into the buffer)."""
        index = tf.clip_by_value(offset, 0, n)[..., tf.newaxis] + tf.range(size)  # (..., size)
        parts = tf.gather(padded, index)
        weights = tf.constant([256**i for i in range(size)], tf.int32)
        return tf.reduce_sum(parts * tf.where(little, weights, tf.reverse(weights, [0])), axis=-1)

    little = tf.equal(tf.gather(padded, tf.maximum(tiff, 0)), ord("I"))  # "II": little endian, "MM": big
    ifd = tiff + at(tiff + 4, 4, little)  # IFD0
    count = tf.clip_by_value(at(ifd, 2, little), 0, 256)
    entries = ifd + 2 + 12 * tf.range(count)  # (count,) 12-byte entries: tag, type, count, value
    match = tf.cast(tf.where(tf.equal(at(entries, 2, little), 0x0112))[:, 0], tf.int32)
    value = tf.cond((tiff >= 0) & (tf.size(match) > 0), lambda: at(entries[match[0]] + 8, 2, little), lambda: 1)
    return tf.where((value >= 1) & (value <= 8), value, 1)


def orient(image, orientation):
    """Applies an EXIF orientation to `(H, W, C)` pixels (as
    `PIL.ImageOps.exif_transpose` and libvips `autorot`).

    Args:
        image: `(H, W, C)` tensor.
        orientation: int32 scalar 1..8.

    Returns:
        `(H', W', C)`: the image as it is meant to be displayed.
    """

    def transpose(x):
        return tf.transpose(x, [1, 0, 2])

    return tf.switch_case(
        orientation - 1,
        [
            lambda: image,
            lambda: image[:, ::-1],  # 2: mirrored
            lambda: image[::-1, ::-1],  # 3: upside down
            lambda: image[::-1],  # 4: mirrored upside down
            lambda: transpose(image),  # 5
            lambda: transpose(image)[:, ::-1],  # 6: rotate 90 clockwise
            lambda: transpose(image[::-1, ::-1]),  # 7
            lambda: transpose(image)[::-1],  # 8: rotate 90 counter-clockwise
        ],
    )


def decode_rgb(data):
    """Decodes PNG or JPEG bytes to RGB, alpha composited on white.

    Args:
        data: scalar tf.string, as returned by `header_size` (checked).

    Returns:
        `(H, W, 3)` uint8 RGB as displayed (EXIF orientation applied), equal
        to `images.load_image`'s (see the module docstring).

    Raises:
        tf.errors.InvalidArgumentError: corrupt or truncated data
            (TensorFlow's own "Invalid PNG data" / "Invalid JPEG data").
    """
    is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_SIGNATURE)
    rgba = tf.cond(is_png, lambda: _png_rgba(data), lambda: _jpeg_rgba(data))  # (H, W, 4) int32
    ink = (255 - rgba[..., :3]) * rgba[..., 3:]  # (H, W, 3), 0..65025
    rgb = tf.cast(255 - (2 * ink + 255) // 510, tf.uint8)  # on white paper: 255 - round(ink / 255), never a tie
    return tf.ensure_shape(orient(rgb, exif_orientation(data)), [None, None, 3])


def to_gray(rgb):
    """ITU-R BT.601 luma with OpenCV's fixed-point weights, in integers.

    Args:
        rgb: `(..., 3)` uint8 RGB.

    Returns:
        `(..., 1)` uint8, equal to `cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)`.
    """
    weights = tf.constant(GRAY_WEIGHTS_Q15, tf.int32)
    gray = (tf.reduce_sum(tf.cast(rgb, tf.int32) * weights, axis=-1, keepdims=True) + (1 << 14)) // (1 << 15)
    return tf.cast(gray, tf.uint8)
