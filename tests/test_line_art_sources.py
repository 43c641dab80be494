"""`python -m colorize.data.line_art_sources` on tiny made-up packages: a
fake `npm` serves an OpenMoji package (3 emoji) and three Iconify sets (2
icons each); a fake flare-game folder holds a few PNGs."""

import contextlib
import csv
import io
import json
import os
import sys
import tarfile

import cv2
import numpy as np
import pytest

from colorize.data import examples
from colorize.data import line_art_sources as las
from colorize.errors import ColorizeError
from dataset_builder.sketch_colorization import split_for

SIZE = 64  # --size: emoji short side in px

RING = '<circle cx="36" cy="36" r="24" fill="{fill}" stroke="#000" stroke-width="4"/>'
OPENMOJI = {  # hexcode: (openmoji.json entry, color SVG body or None)
    "1F600": ({"annotation": "grinning face", "group": "smileys-emotion", "subgroups": "face-smiling"}, "#FCEA2B"),
    "1F44B": ({"annotation": "waving hand", "group": "people-body", "subgroups": "hand-fingers-open"}, None),
    "1F1E6-1F1E8": ({"annotation": "flag: Ascension Island", "group": "flags", "subgroups": "country-flag"}, "#1E50A0"),
    "2716": ({"annotation": "multiply", "group": "symbols", "subgroups": "math"}, "black X"),
}
ICONIFY_ICONS = {
    "grinning-face": {"body": '<circle cx="18" cy="18" r="16" fill="#FFCC4D"/>'},
    "waving-hand-light-skin-tone": {"body": '<rect x="4" y="8" width="28" height="20" fill="#E0A030"/>'},
    "old-grin": {"body": '<circle cx="18" cy="18" r="16" fill="#FFCC4D"/>', "hidden": True},
}
ICONIFY_CHARS = {"1f600": "grinning-face", "1f44b-1f3fb": "waving-hand-light-skin-tone"}


def _tarball(path, files):
    """A .tgz of {member name: bytes}."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _registry(folder):
    """The four npm tarballs, named as `npm pack` names them."""
    folder.mkdir()
    for source, (name, version, _) in las.NPM_PACKAGES.items():
        files = {"package/package.json": json.dumps({"name": name, "version": version}).encode()}
        if source == "openmoji":
            entries = [{"hexcode": h, **entry} for h, (entry, _) in OPENMOJI.items()]
            files["package/data/openmoji.json"] = json.dumps(entries).encode()
            for hexcode, (_, fill) in OPENMOJI.items():
                if fill == "black X":
                    body = '<path d="M20 20 L52 52 M52 20 L20 52" stroke="#000" stroke-width="6"/>'
                    files[f"package/black/svg/{hexcode}.svg"] = _svg(body)
                elif fill:
                    body = RING.format(fill=fill)
                    files[f"package/black/svg/{hexcode}.svg"] = _svg(RING.format(fill="none"))
                else:
                    continue
                files[f"package/color/svg/{hexcode}.svg"] = _svg(body)
        else:
            icons = {"prefix": source, "width": 36, "height": 36, "icons": ICONIFY_ICONS}
            icons["aliases"] = {"grinning": {"parent": "grinning-face"}}
            files["package/icons.json"] = json.dumps(icons).encode()
            files["package/chars.json"] = json.dumps(ICONIFY_CHARS).encode()
        _tarball(folder / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz", files)
    return folder


def _svg(body):
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">{body}</svg>'.encode()


def _fake_npm(folder, registry, log):
    """An `npm` executable that copies `pack NAME@VERSION`'s tarball from
    `registry` into its working folder (else fails as npm does on a 404)."""
    folder.mkdir()
    script = folder / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, shutil, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "name, version = sys.argv[2].rsplit('@', 1)\n"
        "tgz = name.lstrip('@').replace('/', '-') + '-' + version + '.tgz'\n"
        f"src = pathlib.Path({str(registry)!r}) / tgz\n"
        "if sys.argv[1] != 'pack' or not src.exists():\n"
        "    sys.exit(print('npm notice\\nnpm error 404 Not Found - GET ' + name, file=sys.stderr) or 1)\n"
        "shutil.copy(src, tgz)\n"
        "print(tgz)\n"
    )
    script.chmod(0o755)
    return folder


def _art(path, width, height, bgr=(40, 60, 220), alpha=True):
    """A PNG: left fifth transparent (when `alpha`), the rest one color."""
    img = np.zeros((height, width, 4), np.uint8)
    img[..., :3] = bgr
    img[..., 3] = 255
    if alpha:
        img[:, : width // 5, 3] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def _flare(root):
    images = root / "mods" / "fantasy" / "images"
    _art(images / "portraits" / "hero_01.png", 300, 260)
    _art(images / "portraits" / "hero_wide.png", 400, 256, bgr=(200, 80, 30))
    _art(images / "portraits" / "small.png", 255, 300)
    _art(images / "portraits" / "gray.png", 300, 300, bgr=(128, 130, 128))
    _art(images / "menus" / "button.png", 300, 300)
    return root


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One run of the command: its --out folder, stdout and the npm calls."""
    root = tmp_path_factory.mktemp("line_art_sources")
    bin_dir = _fake_npm(root / "bin", _registry(root / "registry"), root / "npm.log")
    out = root / "out"
    argv = ["--out", str(out), "--size", str(SIZE), "--jobs", "1", "--flare", str(_flare(root / "flare"))]
    argv += ["--freedroid", str(root / "no_freedroid")]
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()) as stdout:
        mp.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        assert las.main(argv) == 0
    with open(out / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with open(out / "skipped.tsv", newline="") as f:
        skipped = {(r["source"], r["id"]): r["reason"] for r in csv.DictReader(f, delimiter="\t")}
    return {
        "out": out,
        "stdout": stdout.getvalue(),
        "npm": (root / "npm.log").read_text().splitlines(),
        "rows": {(r["source"], r["id"]): r for r in rows},
        "columns": list(rows[0]),
        "skipped": skipped,
    }


def test_missing_packages_are_fetched_with_npm_pack_and_unpacked(made):
    assert made["npm"] == [f"pack {name}@{version}" for name, version, _ in las.NPM_PACKAGES.values()]
    packages = made["out"] / "packages"
    for name, version, folder in las.NPM_PACKAGES.values():
        assert (packages / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz").is_file()
        assert las.npm_version(packages / folder / "package") == version
    assert "fetching @iconify-json/noto@1.2.9: npm pack in" in made["stdout"]
    # Unpacked packages are used as they are: a second fetch never runs.
    assert las.npm_package("twemoji", packages) == packages / "twemoji" / "package"


def test_manifest_rows_groups_and_splits(made):
    rows = made["rows"]
    assert made["columns"] == ["source", "id", "group", "split", "color", "line", "license"]
    emoji = {
        (s, i)
        for s in ("fluent_emoji_flat", "twemoji", "noto")
        for i in ("grinning-face", "waving-hand-light-skin-tone")
    }
    flare = {("flare", "fantasy__portraits__hero_01"), ("flare", "fantasy__portraits__hero_wide")}
    assert set(rows) == {("openmoji", "1F600")} | emoji | flare
    # The same code points share a group across sets, skin tone or not.
    for source in ("fluent_emoji_flat", "twemoji", "noto"):
        assert rows[(source, "grinning-face")]["group"] == rows[("openmoji", "1F600")]["group"] == "grinning_face"
        assert rows[(source, "waving-hand-light-skin-tone")]["group"] == "waving_hand"
    assert {rows[key]["group"] for key in flare} == {"hero"}  # frame numbers and _wide dropped
    for row in rows.values():
        assert row["split"] == split_for(row["group"])  # the builder's rule
        assert row["license"] == las.LICENSES[row["source"]]
        assert row["line"] == ("openmoji/line/1F600.png" if row["source"] == "openmoji" else "")
    assert split_for is examples.split_for
    # The builder reads it: one item per row, the line art where there is one.
    items = {source_id: (paths, group) for source_id, paths, group in examples.line_art_sources(made["out"])}
    assert items["openmoji/1F600"] == (
        (str(made["out"] / "openmoji/color/1F600.png"), str(made["out"] / "openmoji/line/1F600.png")),
        "grinning_face",
    )
    assert len(items) == len(rows)


def test_renders_sizes_and_white_paper(made):
    out = made["out"]
    color = cv2.imread(str(out / "openmoji/color/1F600.png"), cv2.IMREAD_UNCHANGED)
    line = cv2.imread(str(out / "openmoji/line/1F600.png"), cv2.IMREAD_UNCHANGED)
    assert color.shape == (SIZE, SIZE, 3) and line.shape == (SIZE, SIZE)
    assert tuple(color[0, 0]) == (255, 255, 255) and line[0, 0] == 255  # transparency on white
    assert tuple(color[SIZE // 2, SIZE // 2]) == (0x2B, 0xEA, 0xFC)  # BGR of the fill
    icon = cv2.imread(str(out / "twemoji/color/grinning-face.png"), cv2.IMREAD_UNCHANGED)
    assert icon.shape == (SIZE, SIZE, 3) and tuple(icon[SIZE // 2, SIZE // 2]) == (0x4D, 0xCC, 0xFF)
    # Debian art: native size, the transparent fifth on white.
    art = cv2.imread(str(out / "flare/color/fantasy__portraits__hero_01.png"), cv2.IMREAD_UNCHANGED)
    assert art.shape == (260, 300, 3)
    assert tuple(art[10, 10]) == (255, 255, 255) and tuple(art[10, 100]) == (40, 60, 220)


def test_line_art_lies_on_the_color_outline(made):
    out = made["out"]
    color = cv2.imread(str(out / "openmoji/color/1F600.png"))
    line = cv2.imread(str(out / "openmoji/line/1F600.png"), cv2.IMREAD_GRAYSCALE)
    # The ring is drawn in both at the same place: the dark pixels coincide
    # but for antialiased edge pixels (dark over yellow against dark over
    # white), and so do their centre and mean radius (24 * 64 / 72 px).
    line_dark, color_dark = line < 96, color.max(axis=2) < 96
    assert (line_dark ^ color_dark).sum() <= 0.01 * color_dark.sum()
    for dark in (line_dark, color_dark):
        ys, xs = np.nonzero(dark)
        assert abs(ys.mean() - 31.5) < 0.1 and abs(xs.mean() - 31.5) < 0.1
        assert abs(np.hypot(ys - 31.5, xs - 31.5).mean() - 24 * SIZE / 72) < 0.2
    assert line[SIZE // 2, SIZE // 2] == 255
    with open(out / "openmoji_line_alignment.tsv") as f:
        assert f.read().splitlines()[1] == "1F600\t1.0\t1.0\t1.0\t(0, 0)"


def test_line_alignment_finds_a_shift():
    color = np.full((64, 64, 3), 255, np.uint8)
    cv2.circle(color, (32, 32), 20, (30, 200, 240), -1)
    cv2.circle(color, (32, 32), 20, (0, 0, 0), 2)
    line = np.full((64, 64), 255, np.uint8)
    cv2.circle(line, (36, 32), 20, 0, 2)  # 4 px to the right
    scores = las.line_alignment(color, line)
    assert scores["best_shift"] == (0, -4) and scores["edge_match"] < 0.7 and scores["dark_on_dark"] < 0.9
    cv2.circle(line, (36, 32), 20, 255, 2)
    cv2.circle(line, (32, 32), 20, 0, 2)
    assert las.line_alignment(color, line) == {
        "dark_on_dark": 1.0,
        "on_drawn": 1.0,
        "edge_match": 1.0,
        "best_shift": (0, 0),
    }


def test_skip_rules(made):
    skipped = made["skipped"]
    assert skipped[("openmoji", "1F1E6-1F1E8")] == "country flag"
    assert skipped[("openmoji", "2716")] == "colorless symbol (< 5% of drawn pixels colored)"
    for source in ("fluent_emoji_flat", "twemoji", "noto"):
        assert skipped[(source, "old-grin")] == "hidden (legacy name)"
        assert skipped[(source, "grinning")] == "alias of another icon"
    assert skipped[("flare", "fantasy__portraits__small")] == "native short side < 256 px"
    assert skipped[("flare", "fantasy__portraits__gray")] == "nearly colorless (mean HSV saturation < 20)"
    assert skipped[("flare", "fantasy__menus__button")] == "UI"
    assert len(skipped) == 2 + 3 * 2 + 3
    readme = (made["out"] / "README.txt").read_text()
    assert "[flare]" in readme and "1 groups" in readme and "[freedroid]" not in readme
    # A Debian package that is not installed: one line, and the rest goes on.
    notes = [line for line in made["stdout"].splitlines() if "freedroidrpg-data" in line]
    assert notes == [
        f"note: freedroidrpg-data not installed (no {made['out'].parent / 'no_freedroid' / 'data'}); to add: "
        "`apt-get install -y --no-install-recommends freedroidrpg-data`; going on without freedroid"
    ]


def _error(capsys, argv):
    """The one `error: ...` line of a failing run (exit status 2)."""
    with pytest.raises(SystemExit) as e:
        las.main(argv)
    lines = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and lines[-1].startswith("error: ")
    assert sum(line.startswith("error") for line in lines) == 1
    return lines[-1]


def test_one_line_errors(tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "out")
    assert "--out" in _error(capsys, [])
    assert _error(capsys, ["--out", out, "--size", "0"]) == "error: --size must be >= 1, not 0"
    assert "--sources: unknown emoji" in _error(capsys, ["--out", out, "--sources", "noto,emoji"])
    flare = ["--out", out, "--sources", "flare", "--flare", str(tmp_path / "none")]
    assert "`apt-get install -y --no-install-recommends flare-game` (--require-debian)" in _error(
        capsys, [*flare, "--require-debian"]
    )
    assert _error(capsys, flare) == "error: no source left to render"
    packages = tmp_path / "packages"
    twemoji = ["--out", out, "--sources", "twemoji", "--packages", str(packages)]
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    assert _error(capsys, twemoji).startswith("error: npm not found")
    monkeypatch.setenv("PATH", str(_fake_npm(tmp_path / "bin", tmp_path / "empty", tmp_path / "npm.log")))
    assert (
        _error(capsys, twemoji)
        == "error: npm pack openmoji@17.0.0 failed (exit status 1): npm error 404 Not Found - GET openmoji"
    )
    packages.mkdir(exist_ok=True)
    (packages / "openmoji-17.0.0.tgz").write_bytes(b"not a tarball")
    assert _error(capsys, twemoji).startswith(f"error: cannot unpack {packages / 'openmoji-17.0.0.tgz'}: ")
    (packages / "openmoji" / "package").mkdir(parents=True)
    (packages / "openmoji" / "package" / "package.json").write_text('{"name": "openmoji", "version": "16.0.0"}')
    assert "holds openmoji 16.0.0, not the pinned 17.0.0" in _error(capsys, twemoji)


@pytest.mark.parametrize(
    "member",
    ["package/../../evil", "../evil", "/tmp/evil", "symlink"],
)
def test_unpack_refuses_unsafe_members(tmp_path, member):
    tarball = tmp_path / "bad.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("package/package.json"), io.BytesIO(b""))
        info = tarfile.TarInfo(member)
        if member == "symlink":
            info.name, info.type, info.linkname = "package/link", tarfile.SYMTYPE, "../../evil"
            tar.addfile(info)
        else:
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    dest = tmp_path / "a" / "b"
    dest.parent.mkdir()
    with pytest.raises(ColorizeError, match="refusing to unpack member"):
        las.unpack(tarball, dest)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "bad.tgz"]


def test_unpack_writes_the_package(tmp_path):
    tarball = _tarball(
        tmp_path / "ok.tgz", {"package/package.json": b'{"version": "1.2.3"}', "package/a/b.svg": b"<svg/>"}
    )
    las.unpack(tarball, tmp_path / "pkg")
    assert las.npm_version(tmp_path / "pkg" / "package") == "1.2.3"
    assert (tmp_path / "pkg" / "package" / "a" / "b.svg").read_bytes() == b"<svg/>"
    assert not (tmp_path / "pkg.partial").exists()
