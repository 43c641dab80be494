"""Makes the folder of the `line_art` config: emoji and game art rendered to
PNGs, OpenMoji's line art beside its colors, and a manifest.

    python -m colorize.data.line_art_sources --out DIR [--packages DIR]
        [--sources openmoji,...] [--size PX] [--min-side PX] [--jobs N]
        [--limit N] [--overwrite] [--require-debian] [--flare DIR] [--freedroid DIR]

then `tfds build dataset_builder/sketch_colorization --config line_art
--manual_dir DIR`. A build-time step only: nothing is fetched when a model
trains or runs.

Sources (each pinned to one version):

- npm: `openmoji` 17.0.0 (`color/svg/*.svg`; `black/svg/*.svg`, the artist's
  line art of the same drawings; `data/openmoji.json`, the emoji metadata
  that groups every emoji set), `@iconify-json/fluent-emoji-flat` 1.2.6,
  `@iconify-json/twemoji` 1.2.5, `@iconify-json/noto` 1.2.9 (`icons.json`,
  `chars.json`). A package not yet unpacked in --packages (default
  `OUT/packages`) as `PACKAGES/<folder>/package/` is fetched with the
  machine's npm (`npm pack NAME@VERSION` into --packages) and its tarball
  unpacked there with `tarfile`; a tarball already in --packages is reused.
- Debian: `flare-game` (`/usr/share/games/flare`) and `freedroidrpg-data`
  (`/usr/share/freedroidrpg`), read where they are installed. This command
  never installs them: when one is missing it says, on one line, which
  `apt-get install` adds it and goes on without it (--require-debian:
  stops instead).

Outputs under --out:

    <source>/color/<id>.png       8-bit RGB on white
    openmoji/line/<id>.png        8-bit gray artist line art, registered with the color render
    manifest.tsv                  source id group split color line license (paths relative to --out)
    skipped.tsv                   source id reason detail, for every item not rendered
    openmoji_line_alignment.tsv   per-pair line/color registration scores (`line_alignment`)
    README.txt                    per-source versions, licenses, counts and skip reasons

Emoji SVGs are rendered by libvips (librsvg) at --size px on the short side
and flattened on white. Debian art is kept at its native size, alpha on
white, when its short side is >= --min-side px and its mean HSV saturation
is >= MIN_MEAN_SATURATION; only allow-listed character and scene art
(`DEBIAN_RULES`) is considered.

Groups tie together images of the same subject: emoji are joined by their
Unicode code points (variation selectors and skin tones removed) and named
after OpenMoji's CLDR annotation, so `1F600` (OpenMoji) and `grinning-face`
(Iconify) are both `grinning_face`; Debian art is grouped by its file name
without frame numbers or `_wide`/`_alt` suffixes. The `split` column is
`colorize.data.examples.split_for(group)`, the rule the builder splits by.

Errors (a bad flag, no npm, a failed `npm pack`, a tarball that cannot or
must not be unpacked, missing package files) print one line, `error: ...`,
and exit with status 2.
"""

import argparse
import csv
import fnmatch
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pyvips

from colorize import errors, tf_logs
from colorize.errors import ColorizeError

NPM_PACKAGES = {
    "openmoji": ("openmoji", "17.0.0", "openmoji"),
    "fluent_emoji_flat": ("@iconify-json/fluent-emoji-flat", "1.2.6", "fluent-emoji-flat"),
    "twemoji": ("@iconify-json/twemoji", "1.2.5", "twemoji"),
    "noto": ("@iconify-json/noto", "1.2.9", "noto"),
}
"""{source: (npm package, pinned version, its folder under --packages)}."""

DEBIAN_PACKAGES = {
    "flare": ("flare-game", Path("/usr/share/games/flare"), "mods"),
    "freedroid": ("freedroidrpg-data", Path("/usr/share/freedroidrpg"), "data"),
}
"""{source: (Debian package, install root, the folder the root must hold)}."""

EMOJI_SOURCES = tuple(NPM_PACKAGES)
ALL_SOURCES = EMOJI_SOURCES + tuple(DEBIAN_PACKAGES)

LICENSES = {
    "openmoji": "CC-BY-SA-4.0",
    "fluent_emoji_flat": "MIT",
    "twemoji": "CC-BY-4.0",
    "noto": "Apache-2.0",
    "flare": "CC-BY-SA-3.0",
    "freedroid": "GPL-2.0-or-later",
}
"""SPDX license of each source's art, as its package states it."""

WHITE = [255, 255, 255]
SKIN_TONES = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}
VARIATION_SELECTOR = "fe0f"

SKIP_SUBGROUPS = {
    "keycap": "keycap (text)",
    "alphanum": "letters/text symbol",
    "regional-indicator": "regional indicator letter",
    "country-flag": "country flag",
    "subdivision-flag": "subdivision flag",
    "skin-tone": "skin-tone swatch component",
    "hair-style": "hair-style component",
    "brand": "brand logo",
}
"""Emoji subgroups (OpenMoji's metadata) that are not figures, and the reason
recorded: text in a box, letters, flags (plain color fields), logos, swatches."""

SYMBOLIC_GROUPS = {"symbols", "extras-unicode"}
SYMBOLIC_SUBGROUPS = {"symbol-other", "symbols", "ui-element"}
"""Emoji (sub)groups that are symbols: skipped when they have no color."""

CHROMA_THRESHOLD = 48
MIN_CHROMATIC_FRACTION = 0.05
DRAWN_THRESHOLD = 235
"""A pixel is drawn when a channel is below DRAWN_THRESHOLD, chromatic when
max(R, G, B) - min(R, G, B) > CHROMA_THRESHOLD; a symbol is colorless when
under MIN_CHROMATIC_FRACTION of its drawn pixels are chromatic."""

MIN_MEAN_SATURATION = 20.0
"""Debian art with a lower mean HSV saturation (0..255) is nearly colorless
(the paper's filter)."""

RASTER_EXTENSIONS = (".png", ".jpg", ".jpeg")

_SPRITES = "sprite sheet (animation frames, every frame < 256 px)"
DEBIAN_RULES = {
    "flare": [
        ("mods/*/images/portraits/*", "keep", "portrait"),
        ("mods/*/images/cutscenes/*", "keep", "scene"),
        ("mods/*/images/menus/backgrounds/*", "keep", "scene backdrop"),
        ("mods/*/images/parallax/*", "keep", "backdrop layer"),
        ("mods/*/images/avatar/*", "skip", _SPRITES),
        ("mods/*/images/enemies/*", "skip", _SPRITES),
        ("mods/*/images/npcs/*", "skip", _SPRITES),
        ("mods/*/images/tilesets/*", "skip", "tile atlas"),
        ("mods/*/images/menus/*", "skip", "UI"),
        ("mods/*/images/cursors/*", "skip", "UI"),
        ("mods/*/images/books/*", "skip", "UI"),
        ("mods/*/images/credits/*", "skip", "UI"),
        ("mods/*/images/logo/*", "skip", "UI (logo/app icon)"),
        ("mods/*/images/icons/*", "skip", "icon atlas"),
        ("mods/*/images/powers/*", "skip", "effect sprites"),
        ("mods/*/images/loot/*", "skip", "item sprites"),
        ("*", "skip", "other non-art file"),
    ],
    "freedroid": [
        ("data/graphics/backgrounds/title.*", "keep", "scene"),
        ("data/graphics/backgrounds/title_wide.*", "keep", "scene"),
        ("data/graphics/backgrounds/credits.*", "keep", "scene"),
        ("data/graphics/backgrounds/credits_wide.*", "keep", "scene"),
        ("data/graphics/backgrounds/shoppe.*", "keep", "scene"),
        ("data/graphics/backgrounds/startup1.*", "keep", "scene"),
        ("data/graphics/backgrounds/console_bg1.*", "keep", "scene"),
        ("data/graphics/backgrounds/*", "skip", "UI panel"),
        ("data/graphics/droids/*/portrait*", "keep", "character portrait"),
        ("data/graphics/droids/*", "skip", "sprite atlas (animation frames, every frame < 256 px)"),
        ("data/graphics/tux_motion_parts/*", "skip", "sprite atlas (animation frames, every frame < 256 px)"),
        ("data/graphics/obstacles/*", "skip", "tile/obstacle atlas"),
        ("data/graphics/floor_tiles/*", "skip", "tile atlas"),
        ("data/graphics/items/*", "skip", "item sprites"),
        ("data/graphics/blasts/*", "skip", "effect sprites"),
        ("data/graphics/bullets/*", "skip", "effect sprites"),
        ("data/graphics/radial_spells/*", "skip", "effect sprites"),
        ("data/graphics/light_radius_chunks/*", "skip", "effect sprites"),
        ("data/graphics/skill_icons/*", "skip", "icons"),
        ("data/graphics/to_elem.png", "skip", "sprite sheet"),
        ("data/graphics/FreedroidRPG.png", "skip", "UI (app icon)"),
        ("data/fonts/*", "skip", "font"),
        ("data/gui/*", "skip", "UI"),
        ("*", "skip", "other non-art file"),
    ],
}
"""{source: [(glob relative to the install root, "keep" or "skip", reason)]}:
the first matching rule decides; kept art must still pass the size and
color checks."""

DEBIAN_GROUP_SUFFIX = re.compile(r"(?:[_\-\s]*(?:\d+|wide|alt\d*))+$")
"""Frame numbers and variant suffixes dropped from a Debian file name to form
its group (title_wide -> title, female01 -> female)."""

_TONE_SUFFIX = re.compile(r"-(?:medium-light|medium-dark|light|medium|dark)(?:-skin-tone)?$")
_PROGRESS_EVERY_S = 15.0


# Fetching the packages.


def npm_version(root):
    """The version in an unpacked npm package's package.json, or None."""
    try:
        return json.loads((root / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unpack(tarball, dest):
    """Unpacks an npm tarball into `dest` (its files land in `dest/package/`).

    Every member must be a plain file or folder with a relative path
    without `..`; otherwise nothing is unpacked. The files go to
    `dest.partial` first, renamed to `dest` once complete.

    Raises:
      ColorizeError: the tarball cannot be read, holds an unsafe member, or
        `dest` exists.
    """
    tmp = dest.with_name(dest.name + ".partial")
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
                    raise ColorizeError(
                        f"{tarball}: refusing to unpack member {member.name!r} (absolute, '..' or not a plain file)"
                    )
            shutil.rmtree(tmp, ignore_errors=True)
            # filter="data" (Python >= 3.11.4) also drops odd modes; the check above already refused the rest.
            tar.extractall(tmp, members=members, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        os.rename(tmp, dest)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ColorizeError(f"cannot unpack {tarball}: {e}") from None


def npm_pack(name, version, packages):
    """Runs `npm pack NAME@VERSION` in `packages`; returns the tarball's path.

    Raises:
      ColorizeError: npm is not on PATH, or it fails or writes no tarball.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise ColorizeError(
            f"npm not found: install Node.js's npm, or put the tarball of `npm pack {name}@{version}` in {packages}"
        )
    print(f"fetching {name}@{version}: npm pack in {packages}", flush=True)
    packages.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "pack", f"{name}@{version}"], cwd=packages, capture_output=True, text=True)
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        reason = next((line for line in lines if "ERR" in line.upper()), lines[-1] if lines else "")
        raise ColorizeError(f"npm pack {name}@{version} failed (exit status {proc.returncode}): {reason}")
    written = proc.stdout.split()
    tarball = packages / written[-1] if written else None
    if tarball is None or not tarball.is_file():
        raise ColorizeError(f"npm pack {name}@{version} wrote no tarball in {packages}")
    return tarball


def npm_package(source, packages):
    """The unpacked root of a source's pinned npm package, fetched when missing.

    Args:
      source: a key of NPM_PACKAGES.
      packages: the --packages folder.

    Returns:
      `packages/<folder>/package`, holding the pinned version.

    Raises:
      ColorizeError: the folder holds another version, or fetching fails.
    """
    name, version, folder = NPM_PACKAGES[source]
    dest = packages / folder
    root = dest / "package"
    if dest.exists():
        found = npm_version(root)
        if found != version:
            raise ColorizeError(
                f"{dest} holds {name} {found or '(no package.json)'}, not the pinned {version}: "
                "remove it or pass another --packages"
            )
        return root
    tarball = packages / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tarball.is_file():
        tarball = npm_pack(name, version, packages)
    print(f"unpacking {tarball.name} into {dest}", flush=True)
    unpack(tarball, dest)
    if npm_version(root) != version:
        raise ColorizeError(f"{tarball}: no package/package.json of {name} {version} in it")
    return root


def debian_version(package):
    """The installed version of a Debian package (dpkg-query), or "unknown"."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


# Grouping.


def normalize_group(name):
    """A display name as a group key: ASCII, lower case, apostrophes dropped,
    other runs of non-alphanumerics -> "_" ("eight o’clock" -> "eight_oclock")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"['\u2019]", "", ascii_name.lower())
    return re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")


def codepoints(hexseq):
    """A hex code sequence ("1F44B-1F3FB", "1f44b_1f3fb") as lower-case parts."""
    return [p for p in re.split(r"[-_\s]+", hexseq.strip().lower()) if p]


def strip_fe0f(hexseq):
    """The code point key without variation selectors ("1f44b-1f3fb")."""
    return "-".join(p for p in codepoints(hexseq) if p != VARIATION_SELECTOR)


def toneless_key(hexseq):
    """The code point key without variation selectors and skin tones."""
    return "-".join(p for p in codepoints(hexseq) if p != VARIATION_SELECTOR and p not in SKIN_TONES)


def has_skin_tone(hexseq):
    return any(p in SKIN_TONES for p in codepoints(hexseq))


def debian_group(path):
    """The group of a Debian art file: its lower-case name without frame
    numbers and variant suffixes (`DEBIAN_GROUP_SUFFIX`)."""
    stem = path.stem.lower()
    return normalize_group(DEBIAN_GROUP_SUFFIX.sub("", stem) or stem) or normalize_group(stem)


def debian_id(rel):
    """A file-system-safe id from a path relative to the install root."""
    parts = [p for p in rel.with_suffix("").parts if p not in ("mods", "images", "data", "graphics")]
    return "__".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts)


@dataclass
class EmojiInfo:
    """What OpenMoji's metadata says about one emoji."""

    name: str  # CLDR annotation of the toneless base emoji
    group: str  # Unicode emoji group, e.g. "smileys-emotion"
    subgroup: str  # Unicode emoji subgroup, e.g. "face-smiling"


class EmojiCatalog:
    """Code points -> `EmojiInfo`, from OpenMoji's `data/openmoji.json`.

    Every emoji set is looked up here, so that the same emoji gets the same
    group in every set, whatever the set calls it.

    Raises:
      ColorizeError: the file cannot be read.
    """

    def __init__(self, openmoji_json):
        try:
            entries = json.loads(openmoji_json.read_text(encoding="utf-8"))
            annotation = {strip_fe0f(e["hexcode"]): e["annotation"] for e in entries}
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ColorizeError(f"cannot read the OpenMoji metadata {openmoji_json}: {e}") from None
        self.by_key, self.by_toneless = {}, {}
        for e in entries:
            base_hex = e.get("skintone_base_hexcode") or e["hexcode"]
            base_name = annotation.get(strip_fe0f(base_hex), e["annotation"])
            if has_skin_tone(e["hexcode"]) and not e.get("skintone_base_hexcode"):
                base_name = annotation.get(toneless_key(e["hexcode"]), e["annotation"])
            info = EmojiInfo(base_name, e.get("group", ""), e.get("subgroups", ""))
            self.by_key[strip_fe0f(e["hexcode"])] = info
            self.by_toneless.setdefault(toneless_key(e["hexcode"]), info)

    def lookup(self, hexseq):
        """The info of a code point sequence (exact, else toneless), or None."""
        return self.by_key.get(strip_fe0f(hexseq)) or self.by_toneless.get(toneless_key(hexseq))


def emoji_skip_reason(info):
    return SKIP_SUBGROUPS.get(info.subgroup) if info else None


def is_symbolic(info):
    return info is not None and (info.group in SYMBOLIC_GROUPS or info.subgroup in SYMBOLIC_SUBGROUPS)


# Rendering and checks (in worker processes).


def render_svg(data, size, natural=None):
    """SVG bytes rendered with a `size` px short side, flattened on white.

    Args:
      data: the SVG's bytes.
      size: the short side in pixels.
      natural: the SVG's (width, height) in user units; None: librsvg's
        (rounded) size.

    Returns:
      a 3-band uchar sRGB `pyvips.Image`.
    """
    if natural is None:
        probe = pyvips.Image.svgload_buffer(data)
        natural = (probe.width, probe.height)
    img = pyvips.Image.svgload_buffer(data, scale=size / min(natural))
    if img.hasalpha():
        img = img.flatten(background=WHITE)
    return img.extract_band(0, n=3).cast("uchar")


def chromatic_fraction(rgb):
    """The share of drawn pixels of an (h, w, 3) uint8 image that are chromatic
    (see CHROMA_THRESHOLD); 0 for a blank image."""
    rgb = rgb.astype(np.int16)
    drawn = rgb.min(axis=2) < DRAWN_THRESHOLD
    if not drawn.any():
        return 0.0
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    return float(((chroma > CHROMA_THRESHOLD) & drawn).sum()) / int(drawn.sum())


def mean_saturation(rgb):
    """The mean HSV saturation of an (h, w, 3) uint8 image, on 0..255."""
    rgb = rgb.astype(np.float32)
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    return float(np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-6), 0.0).mean() * 255.0)


ALIGN_SHIFTS = (-4, -2, 0, 2, 4)


def _grow(mask, tol):
    """A boolean mask dilated by a (2 tol + 1)^2 square."""
    h, w = mask.shape
    padded = np.pad(mask, tol)
    grown = np.zeros_like(mask)
    for dy in range(2 * tol + 1):
        for dx in range(2 * tol + 1):
            grown |= padded[dy : dy + h, dx : dx + w]
    return grown


def _shift(mask, dy, dx):
    """A boolean mask moved by (dy, dx) pixels, False where it leaves."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = mask[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return out


def _edges(img, step=40):
    """Pixels where a channel jumps by more than `step` to the next pixel."""
    a = img.astype(np.int16)
    a = a[..., None] if a.ndim == 2 else a
    e = np.zeros(a.shape[:2], bool)
    e[:, 1:] |= (np.abs(np.diff(a, axis=1)) > step).any(-1)
    e[1:, :] |= (np.abs(np.diff(a, axis=0)) > step).any(-1)
    return e


def line_alignment(color_rgb, line_gray, tol=2):
    """How well a line render lies on its color render.

    Args:
      color_rgb: (h, w, 3) uint8.
      line_gray: (h, w) uint8, dark lines on white.
      tol: pixels of tolerance of the first two scores.

    Returns:
      {"dark_on_dark": share of dark line pixels (< 96) within `tol` px of a
      dark color pixel (luma < 110); strokes the color art draws in white or
      in color lower it without any misregistration, "on_drawn": share of
      dark line pixels on a drawn color pixel, "edge_match": share of line
      edges within 1 px of a color edge, "best_shift": the (dy, dx) among
      ALIGN_SHIFTS^2 with the most matching edges, (0, 0) on a tie with
      (0, 0), None when the sizes differ}; scores in [0, 1], 1.0 for a line
      render without dark pixels.
    """
    if color_rgb.shape[:2] != line_gray.shape[:2]:
        return {"dark_on_dark": 0.0, "on_drawn": 0.0, "edge_match": 0.0, "best_shift": None}
    line_dark = line_gray < 96
    line_edges = _edges(line_gray)
    n, n_edges = int(line_dark.sum()), int(line_edges.sum())
    if n == 0 or n_edges == 0:
        return {"dark_on_dark": 1.0, "on_drawn": 1.0, "edge_match": 1.0, "best_shift": (0, 0)}
    luma = color_rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = _grow(luma < 110, tol)
    drawn = _grow(color_rgb.min(axis=2) < DRAWN_THRESHOLD, tol)
    color_edges = _grow(_edges(color_rgb), 1)
    scores = {
        (dy, dx): float((_shift(line_edges, dy, dx) & color_edges).sum()) / n_edges
        for dy in ALIGN_SHIFTS
        for dx in ALIGN_SHIFTS
    }
    return {
        "dark_on_dark": round(float((line_dark & dark).sum()) / n, 4),
        "on_drawn": round(float((line_dark & drawn).sum()) / n, 4),
        "edge_match": round(scores[(0, 0)], 4),
        "best_shift": max(scores, key=lambda k: (scores[k], k == (0, 0))),
    }


def save_png(img, path):
    """Writes an 8-bit PNG atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.png")
    img.pngsave(str(tmp), compression=6, strip=True)
    os.replace(tmp, path)


def load_png(path):
    return pyvips.Image.new_from_file(str(path), access="sequential").copy_memory()


@dataclass
class Task:
    """One image to make: an emoji SVG (`svg`) or a Debian raster (`src`)."""

    source: str
    id: str
    group: str
    out_color: Path
    svg: bytes | None = None
    natural: tuple[float, float] | None = None  # the SVG's user-unit size, when known
    src: Path | None = None
    line_svg: bytes | None = None
    out_line: Path | None = None
    check_color: bool = False  # a symbol: skipped when colorless
    size: int = 512
    min_side: int = 256
    overwrite: bool = False


@dataclass
class Result:
    source: str
    id: str
    group: str
    kept: bool = False
    reason: str = ""
    color: Path | None = None
    line: Path | None = None
    alignment: dict | None = None
    stats: dict = field(default_factory=dict)


def _color_image(task):
    """A task's color image (8-bit sRGB on white): rendered, reloaded or converted."""
    if task.svg is not None:
        if not task.overwrite and task.out_color.exists():
            return load_png(task.out_color)
        return render_svg(task.svg, task.size, task.natural)
    img = pyvips.Image.new_from_file(str(task.src), access="sequential")
    if img.interpretation != "srgb" or img.format != "uchar":
        img = img.colourspace("srgb")  # gray, 16-bit, CMYK -> 8-bit sRGB, alpha kept
    if img.hasalpha():
        img = img.flatten(background=WHITE)
    return img.extract_band(0, n=3).cast("uchar").copy_memory()


def process(task):
    """Makes one task's PNGs after its checks; a `Result`, never an exception.

    Emoji PNGs already in --out are reused unless `task.overwrite`.
    """
    res = Result(task.source, task.id, task.group)
    try:
        if task.src is not None:  # the size check reads the header alone
            head = pyvips.Image.new_from_file(str(task.src))
            short = res.stats["short_side"] = min(head.width, head.height)
            if short < task.min_side:
                res.reason = f"native short side < {task.min_side} px"
                return res
        img = _color_image(task)
        rgb = img.numpy()
        if task.src is not None:
            res.stats["mean_saturation"] = round(mean_saturation(rgb), 1)
            if res.stats["mean_saturation"] < MIN_MEAN_SATURATION:
                res.reason = f"nearly colorless (mean HSV saturation < {MIN_MEAN_SATURATION:g})"
                return res
        elif task.check_color:
            res.stats["chromatic_fraction"] = round(chromatic_fraction(rgb), 4)
            if res.stats["chromatic_fraction"] < MIN_CHROMATIC_FRACTION:
                res.reason = f"colorless symbol (< {MIN_CHROMATIC_FRACTION:.0%} of drawn pixels colored)"
                return res
        if task.overwrite or task.src is not None or not task.out_color.exists():
            save_png(img, task.out_color)
        res.color = task.out_color
        if task.line_svg is not None:
            if not task.overwrite and task.out_line.exists():
                line = load_png(task.out_line)
            else:
                line = render_svg(task.line_svg, task.size, task.natural).colourspace("b-w").extract_band(0)
                line = line.cast("uchar")
                save_png(line, task.out_line)
            res.line = task.out_line
            res.alignment = line_alignment(rgb, line.numpy())
        res.kept = True
    except (pyvips.Error, OSError, ValueError) as e:
        res.reason = f"render error: {str(e).strip().splitlines()[0][:120]}"
    return res


def _init_worker():
    """Worker processes: lower priority, one libvips thread, no libvips cache."""
    try:
        os.nice(10)
    except OSError:
        pass
    pyvips.concurrency_set(1)
    pyvips.cache_set_max(0)


def render_all(tasks, jobs):
    """`process` over every task, in `jobs` processes (1: this process), with
    a progress line every _PROGRESS_EVERY_S seconds and at the end."""
    start = last = time.monotonic()
    results = []
    pool = multiprocessing.Pool(jobs, initializer=_init_worker) if jobs > 1 else None
    try:
        done = pool.imap_unordered(process, tasks, chunksize=16) if pool else map(process, tasks)
        for res in done:
            results.append(res)
            now = time.monotonic()
            if now - last >= _PROGRESS_EVERY_S or len(results) == len(tasks):
                last = now
                print(f"  rendered {len(results)}/{len(tasks)} ({now - start:.0f} s)", flush=True)
    finally:
        if pool:
            pool.terminate()
    return results


# Tasks per source.


def openmoji_tasks(root, catalog, out, opts, skipped):
    """Tasks for OpenMoji's color SVGs, each with its black line-art SVG.

    Raises:
      ColorizeError: `color/svg/` is missing.
    """
    color_dir, line_dir = root / "color" / "svg", root / "black" / "svg"
    if not color_dir.is_dir():
        raise ColorizeError(f"OpenMoji color SVGs not found: {color_dir}")
    tasks = []
    for svg in sorted(color_dir.glob("*.svg")):
        hexcode = svg.stem
        info = catalog.lookup(hexcode)
        reason = "not in openmoji.json" if info is None else emoji_skip_reason(info)
        if reason:
            skipped.append(("openmoji", hexcode, reason))
            continue
        line_svg = line_dir / svg.name
        tasks.append(
            Task(
                "openmoji",
                hexcode,
                normalize_group(info.name),
                out / "openmoji" / "color" / f"{hexcode}.png",
                svg=svg.read_bytes(),
                line_svg=line_svg.read_bytes() if line_svg.exists() else None,
                out_line=out / "openmoji" / "line" / f"{hexcode}.png",
                check_color=is_symbolic(info),
                **opts,
            )
        )
    return tasks


def iconify_svg(icon, defaults):
    """An Iconify icon's body wrapped in an <svg> element with its viewBox."""
    left, top = icon.get("left", defaults.get("left", 0)), icon.get("top", defaults.get("top", 0))
    width, height = icon.get("width", defaults.get("width", 16)), icon.get("height", defaults.get("height", 16))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="{left} {top} {width} {height}" width="{width}" height="{height}">{icon["body"]}</svg>'
    ).encode()


def iconify_tasks(source, root, catalog, out, opts, skipped):
    """Tasks for the visible icons of an Iconify JSON emoji set.

    Hidden icons (kept upstream for old names) and aliases (other names or
    mirrored copies of listed icons) are skipped. `chars.json` gives each
    icon's code points, which key its group and its category.

    Raises:
      ColorizeError: `icons.json` is missing or not JSON.
    """
    try:
        data = json.loads((root / "icons.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ColorizeError(f"cannot read the {source} icons {root / 'icons.json'}: {e}") from None
    try:
        chars = json.loads((root / "chars.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        chars = {}
    hex_of = {}
    for hexseq, name in chars.items():
        hex_of.setdefault(name, hexseq)
    base_name = {strip_fe0f(h): n for h, n in chars.items() if not has_skin_tone(h)}  # this set's toneless names
    defaults = {k: data[k] for k in ("left", "top", "width", "height") if k in data}
    skipped.extend((source, alias, "alias of another icon") for alias in sorted(data.get("aliases", {})))
    tasks = []
    for name, icon in sorted(data.get("icons", {}).items()):
        hexseq = hex_of.get(name)
        info = catalog.lookup(hexseq) if hexseq else None
        if icon.get("hidden"):
            reason = "hidden (legacy name)"
        elif any(k in icon for k in ("rotate", "hFlip", "vFlip")):
            reason = "unsupported icon transform"
        else:
            reason = emoji_skip_reason(info)
        if reason:
            skipped.append((source, name, reason))
            continue
        if info is not None:
            group_name = info.name
        elif hexseq and toneless_key(hexseq) in base_name:
            group_name = base_name[toneless_key(hexseq)]
        else:
            group_name = _TONE_SUFFIX.sub("", name) if hexseq is None or has_skin_tone(hexseq) else name
        width, height = icon.get("width", defaults.get("width", 16)), icon.get("height", defaults.get("height", 16))
        tasks.append(
            Task(
                source,
                name,
                normalize_group(group_name),
                out / source / "color" / f"{name}.png",
                svg=iconify_svg(icon, defaults),
                natural=(float(width), float(height)),
                check_color=is_symbolic(info),
                **opts,
            )
        )
    return tasks


def debian_tasks(source, root, out, opts, skipped):
    """Tasks for the allow-listed character and scene art of a Debian game.

    Raises:
      ColorizeError: two files would get the same id.
    """
    tasks, seen = [], set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in RASTER_EXTENSIONS:
            continue
        rel = path.relative_to(root)
        action, reason = next((a, r) for pat, a, r in DEBIAN_RULES[source] if fnmatch.fnmatch(rel.as_posix(), pat))
        ident = debian_id(rel)
        if action == "skip":
            skipped.append((source, ident, reason))
            continue
        if ident in seen:
            raise ColorizeError(f"two {source} files get the id {ident}, one of them {path}")
        seen.add(ident)
        out_color = out / source / "color" / f"{ident}.png"
        tasks.append(Task(source, ident, debian_group(path), out_color, src=path, **{**opts, "overwrite": True}))
    return tasks


# Outputs.


def write_tsv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def prune_stale(out, source, keep):
    """Deletes a source's PNGs that this run did not make (left by earlier
    runs with other rules); returns how many."""
    stale = [p for sub in ("color", "line") for p in (out / source / sub).glob("*.png") if p not in keep]
    for p in stale:
        p.unlink()
    return len(stale)


def dir_size(path):
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mib(n):
    return f"{n / 2**20:.1f} MiB"


def alignment_summary(alignment):
    """README.txt lines on the OpenMoji line/color registration.

    Args:
      alignment: [(id, `line_alignment` dict)].
    """
    dod, drawn, edge = (np.array([a[k] for _, a in alignment]) for k in ("dark_on_dark", "on_drawn", "edge_match"))
    shifted = [i for i, a in alignment if a["best_shift"] != (0, 0)]
    return [
        f"  line/color registration ({len(alignment)} pairs):",
        f"    dark line pixels on dark color pixels (2 px tol.): median {np.median(dod):.3f}, min {dod.min():.3f}, "
        f"{int((dod < 0.9).sum())} pairs < 0.9 (strokes the color art draws in white or in color also count)",
        f"    dark line pixels on any drawn color pixel: median {np.median(drawn):.3f}, min {drawn.min():.3f}, "
        f"{int((drawn < 0.95).sum())} pairs < 0.95",
        f"    line edges on color edges (1 px tol.): median {np.median(edge):.3f}, min {edge.min():.3f}",
        f"    pairs where a shift of up to 4 px matches edges better than none: {len(shifted)}"
        + (f" ({', '.join(shifted[:10])})" if shifted else ""),
        "    per pair: openmoji_line_alignment.tsv",
    ]


def write_readme(out, sources, versions, manifest, skipped, alignment, args, seconds):
    """README.txt: per source its package, license, counts and skip reasons."""
    lines = [
        "line_art sources (python -m colorize.data.line_art_sources)",
        "",
        "<source>/color/<id>.png: 8-bit RGB on white; openmoji/line/<id>.png: 8-bit gray artist line art,",
        "the same size and position as the color render.",
        "manifest.tsv: source id group split color line license (paths relative to this folder).",
        "skipped.tsv: every source item not rendered, with the reason.",
        "split = colorize.data.examples.split_for(group), the builder's rule (SHA-256, 80/10/10); the same",
        "emoji in different sets shares a group (joined by code points, skin tones removed).",
        "Skipped: emoji that are not figures (keycaps, letters, regional indicators, flags, brand logos,",
        "skin-tone/hair swatches), symbols without color, Iconify aliases and hidden legacy names;",
        "Debian files that are not character or scene art (UI, fonts, icons, item/effect sprites, tile",
        f"atlases, sprite sheets), art whose native short side is < {args.min_side} px and art with mean",
        f"HSV saturation < {MIN_MEAN_SATURATION:g}/255. Debian groups: file name without frame numbers or",
        "_wide/_alt suffixes.",
        f"Made in {seconds / 60:.1f} min" + (f" with --limit {args.limit}." if args.limit else "."),
        "",
    ]
    by_source = defaultdict(list)
    for row in manifest:
        by_source[row["source"]].append(row)
    reasons = defaultdict(Counter)
    for source, _, reason, *_ in skipped:
        reasons[source][reason] += 1
    total = 0
    for source in sources:
        rows = by_source[source]
        splits = Counter(r["split"] for r in rows)
        package = (
            f"{NPM_PACKAGES[source][0]} (npm)" if source in NPM_PACKAGES else f"{DEBIAN_PACKAGES[source][0]} (Debian)"
        )
        size = dir_size(out / source) if (out / source).exists() else 0
        total += size
        lines += [
            f"[{source}]",
            f"  package : {package} {versions[source]}",
            f"  license : {LICENSES[source]}" + (' ("or later" per debian/copyright)' if source == "flare" else ""),
            f"  render  : SVG via libvips/librsvg, {args.size} px short side, flattened on white"
            if source in EMOJI_SOURCES
            else f"  render  : native size (kept if the short side is >= {args.min_side} px), alpha on white",
            f"  rendered: {len(rows)} color images"
            + (f" + {sum(1 for r in rows if r['line'])} line images" if source == "openmoji" else "")
            + f"  (train {splits['train']}, validation {splits['validation']}, test {splits['test']};"
            + f" {len({r['group'] for r in rows})} groups)",
            f"  skipped : {sum(reasons[source].values())}",
        ]
        lines += [f"    {n:6d}  {reason}" for reason, n in reasons[source].most_common()]
        if source == "openmoji" and alignment:
            lines += alignment_summary(alignment)
        lines += [f"  disk    : {mib(size)}", ""]
    lines.append(f"Total: {len(manifest)} color images, {mib(total)}.")
    (out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


# The command.


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m colorize.data.line_art_sources",
        description="Render the emoji sets and game art of the line_art config into a folder with a manifest.",
        epilog="Exit status: 0 done, 2 error (one line).",
    )
    p.add_argument("--out", type=Path, required=True, help="the folder to write (the build's --manual_dir)")
    p.add_argument("--packages", type=Path, help="unpacked npm packages, fetched here when missing (OUT/packages)")
    p.add_argument("--sources", default=",".join(ALL_SOURCES), help="comma-separated subset of: %(default)s")
    p.add_argument("--size", type=int, default=512, help="emoji render size, short side in px (%(default)s)")
    p.add_argument("--min-side", type=int, default=256, help="smallest native short side of Debian art (%(default)s)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (%(default)s)")
    p.add_argument("--limit", type=int, default=0, help="render at most N items per source, for a quick check")
    p.add_argument("--overwrite", action="store_true", help="render emoji PNGs again that --out already holds")
    p.add_argument("--require-debian", action="store_true", help="stop when a Debian package is not installed")
    for source, (package, root, _) in DEBIAN_PACKAGES.items():
        p.add_argument(f"--{source}", type=Path, default=root, help=f"where {package} is installed (%(default)s)")
    return p


@errors.cli
def main(argv=None):
    """Fetches what is missing, renders every source, then writes the
    manifest, skipped.tsv, the alignment scores and README.txt."""
    tf_logs.install()
    args = errors.parse_args(_parser(), argv)
    start = time.monotonic()
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in ALL_SOURCES]
    if unknown or not sources:
        raise ColorizeError(
            f"--sources: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(ALL_SOURCES)}"
        )
    for flag, value, least in (
        ("--size", args.size, 1),
        ("--min-side", args.min_side, 1),
        ("--jobs", args.jobs, 1),
        ("--limit", args.limit, 0),
    ):
        if value < least:
            raise ColorizeError(f"{flag} must be >= {least}, not {value}")
    out = args.out
    packages = args.packages or out / "packages"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ColorizeError(f"--out {out}: {e.strerror}") from None

    missing = [s for s in sources if s in DEBIAN_PACKAGES and not (getattr(args, s) / DEBIAN_PACKAGES[s][2]).is_dir()]
    if missing:
        names = " ".join(DEBIAN_PACKAGES[s][0] for s in missing)
        folders = ", ".join(str(getattr(args, s) / DEBIAN_PACKAGES[s][2]) for s in missing)
        message = f"{names} not installed (no {folders}); to add: `apt-get install -y --no-install-recommends {names}`"
        if args.require_debian:
            raise ColorizeError(f"{message} (--require-debian)")
        print(f"note: {message}; going on without {', '.join(missing)}", flush=True)
        sources = [s for s in sources if s not in missing]
        if not sources:
            raise ColorizeError("no source left to render")

    emoji = [s for s in sources if s in EMOJI_SOURCES]
    roots = {s: npm_package(s, packages) for s in dict.fromkeys(["openmoji"] + emoji)} if emoji else {}
    catalog = EmojiCatalog(roots["openmoji"] / "data" / "openmoji.json") if emoji else None
    opts = {"size": args.size, "min_side": args.min_side, "overwrite": args.overwrite}
    tasks, skipped, versions = [], [], {}
    for source in sources:
        found = []
        if source == "openmoji":
            versions[source] = npm_version(roots[source])
            tasks_of = openmoji_tasks(roots[source], catalog, out, opts, found)
        elif source in EMOJI_SOURCES:
            versions[source] = npm_version(roots[source])
            tasks_of = iconify_tasks(source, roots[source], catalog, out, opts, found)
        else:
            versions[source] = debian_version(DEBIAN_PACKAGES[source][0])
            tasks_of = debian_tasks(source, getattr(args, source), out, opts, found)
        tasks_of = tasks_of[: args.limit] if args.limit else tasks_of
        print(f"{source} {versions[source]}: {len(tasks_of)} to render, {len(found)} skipped up front", flush=True)
        tasks += tasks_of
        skipped += found

    results = render_all(tasks, args.jobs)
    # noqa below: TensorFlow (examples imports it) loads only now, after the worker processes.
    from colorize.data.examples import split_for  # noqa: PLC0415

    order = {s: i for i, s in enumerate(sources)}
    results.sort(key=lambda r: (order[r.source], r.id))
    manifest, alignment, keep = [], [], defaultdict(set)
    for r in results:
        if not r.kept:
            skipped.append((r.source, r.id, r.reason, " ".join(f"{k}={v}" for k, v in r.stats.items())))
            continue
        keep[r.source].update(p for p in (r.color, r.line) if p)
        if r.alignment is not None:
            alignment.append((r.id, r.alignment))
        manifest.append(
            {
                "source": r.source,
                "id": r.id,
                "group": r.group,
                "split": split_for(r.group),
                "color": r.color.relative_to(out).as_posix(),
                "line": r.line.relative_to(out).as_posix() if r.line else "",
                "license": LICENSES[r.source],
            }
        )
    if not args.limit:
        for source in sources:
            removed = prune_stale(out, source, keep[source])
            if removed:
                print(f"{source}: removed {removed} PNGs of earlier runs", flush=True)
    columns = ["source", "id", "group", "split", "color", "line", "license"]
    write_tsv(out / "manifest.tsv", columns, [[m[c] for c in columns] for m in manifest])
    skipped.sort(key=lambda s: (order[s[0]], s[2], s[1]))
    write_tsv(out / "skipped.tsv", ["source", "id", "reason", "detail"], [(*row, "")[:4] for row in skipped])
    if alignment:
        alignment.sort(key=lambda a: (a[1]["dark_on_dark"], a[0]))
        write_tsv(
            out / "openmoji_line_alignment.tsv",
            ["id", "dark_on_dark", "on_drawn", "edge_match", "best_shift"],
            [(i, a["dark_on_dark"], a["on_drawn"], a["edge_match"], a["best_shift"]) for i, a in alignment],
        )
    seconds = time.monotonic() - start
    write_readme(out, sources, versions, manifest, skipped, alignment, args, seconds)
    splits = Counter(m["split"] for m in manifest)
    print(
        f"wrote {len(manifest)} color images (train {splits['train']}, validation {splits['validation']}, "
        f"test {splits['test']}), skipped {len(skipped)}, in {seconds:.0f} s -> {out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
