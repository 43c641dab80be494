"""What the tools accept, each fact defined once: the image files a folder is
searched for, the largest image decoded, and the format of a hint layer.

Plain constants, importable by every stage: the host-side decoders
(`colorize.data.images`, `colorize.inference.hint_layers`) and the
SavedModel's graph (`colorize.serving.colorizer`) check the same limits.
"""

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
"""File name endings a folder is searched for (compared case-insensitively);
the web page takes these too."""

MAX_PIXELS = 40_000_000
"""Largest image, height x width, that is decoded: by `load_image` (after any
reduction; 120 MB as 8-bit BGR), by the SavedModel (checked from the header,
before decoding) and for hint layers. A 6000 x 6000 sketch (36 MP) is
colored; a larger one is refused as "too large"."""

HINT_ALPHA = 128
"""A pixel of a hint layer (an image with alpha painted over the sketch) is a
hint where its alpha, 0..255, is at least this."""

HINT_MAX_OPAQUE = 0.95
"""A hint layer opaque (alpha >= `HINT_ALPHA`) on this share of its pixels or
more is refused: it is a background saved with the hints, and as hints it
would fix every pixel's color."""

HINT_ASPECT_TOLERANCE = 0.01
"""A hint layer scaled to the sketch's width may miss the sketch's height by
this share of it, or by 1 px, whichever is more: the rounding of a layer
saved at another size."""

MAX_UPLOAD_MB = 50
"""Largest upload the page accepts, in MB (a 40 MP sketch as PNG or JPEG is far less)."""
