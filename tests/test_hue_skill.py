"""experiments.hue_skill: what a network knows about hue beyond the hues' frequencies."""

import json

import numpy as np
import pytest

from colorize.nets import color, targets
from experiments import hue_skill

RED, GREEN, WHITE = (220, 30, 40), (40, 170, 60), (255, 255, 255)


def _hue_bin(rgb):
    scaled = np.asarray(color.to_scaled(np.array([[rgb]], np.float32) / 255.0, "lch"))
    return int(np.asarray(color.channel_bins(scaled))[0, 0, 2])


def _truth():
    """(1, 2, 4, 3): three red pixels, one green, four white (not measured)."""
    t = np.array([[RED, RED, RED, GREEN], [WHITE] * 4], np.float32)
    return t[None]


def _probabilities(hue_mass):
    """(1, 2, 4, 512): every pixel puts `hue_mass[k]` on one chromatic class of hue bin k."""
    p = np.zeros((1, 2, 4, color.NUM_CLASSES))
    bins = color.class_bins()
    for k, mass in enumerate(hue_mass):
        q = np.flatnonzero((bins[:, 1] == 3) & (bins[:, 2] == k) & (bins[:, 0] == 4))[0]
        p[..., q] = mass
    return p


def test_red_and_green_fall_in_different_hue_bins():
    assert _hue_bin(RED) != _hue_bin(GREEN)


def test_a_sure_and_right_network_scores_one_and_white_is_not_measured():
    red, green = _hue_bin(RED), _hue_bin(GREEN)
    p = np.zeros((1, 2, 4, color.NUM_CLASSES))
    right_red, right_green = _probabilities(np.eye(8)[red]), _probabilities(np.eye(8)[green])
    p[0, 0, :3], p[0, 0, 3] = right_red[0, 0, :3], right_green[0, 0, 3]
    p[0, 1] = _probabilities(np.eye(8)[(red + 4) % 8])[0, 1]  # wrong, but on white paper: ignored
    skill = hue_skill.HueSkill("lch")
    skill.update(p, _truth())
    r = skill.result()
    assert r["pixels"] == 4
    assert r["accuracy"] == pytest.approx(1.0)
    assert r["true_bin_probability"] == pytest.approx(1.0)
    assert r["skill"] == pytest.approx(1.0)
    assert r["constant_accuracy"] == pytest.approx(0.75)  # the commonest bin: red, 3 of 4
    assert r["constant_true_bin_probability"] == pytest.approx(0.75**2 + 0.25**2)


def test_guessing_the_frequencies_everywhere_has_no_skill():
    red, green = _hue_bin(RED), _hue_bin(GREEN)
    mass = np.zeros(8)
    mass[red], mass[green] = 0.75, 0.25
    skill = hue_skill.HueSkill("lch")
    skill.update(_probabilities(mass), _truth())
    r = skill.result()
    assert r["accuracy"] == pytest.approx(0.75)  # argmax red: right on the red pixels only
    assert r["true_bin_probability"] == pytest.approx(0.75 * 0.75 + 0.25 * 0.25)
    assert r["skill"] == pytest.approx(0.0, abs=1e-12)


def test_mass_on_gray_classes_does_not_count_and_the_rest_is_normalized():
    red = _hue_bin(RED)
    p = _probabilities(np.eye(8)[red] * 0.2)
    p[..., 0] = 0.8  # class 0: black, chroma bin 0
    skill = hue_skill.HueSkill("lch")
    skill.update(p[:, :, :3], _truth()[:, :, :3])  # the red pixels and white
    r = skill.result()
    assert r["true_bin_probability"] == pytest.approx(1.0)
    assert r["skill"] is None  # one hue in the truth: the frequencies alone are right


def test_rgb_classes_take_the_hue_of_their_centre():
    hue, chromatic = color.hue_bins("rgb"), targets.hue_matrix("rgb").any(-1)
    red_class = int(np.asarray(color.class_index(np.array([[RED]], np.float32)))[0, 0])
    assert chromatic[red_class] and hue[red_class] == _hue_bin(RED)
    gray_class = int(np.asarray(color.class_index(np.array([[128, 128, 128]], np.float32)))[0])
    assert not chromatic[gray_class]


def test_sizes_must_match():
    with pytest.raises(ValueError, match="probabilities"):
        hue_skill.HueSkill("lch").update(_probabilities(np.ones(8) / 8)[:, :, :3], _truth())


def test_no_colored_pixel_gives_no_figures():
    skill = hue_skill.HueSkill("lch")
    skill.update(_probabilities(np.ones(8) / 8), np.full((1, 2, 4, 3), 255, np.float32))
    r = skill.result()
    assert r["pixels"] == 0 and r["skill"] is None


def test_main_measures_a_trained_run(tiny_run, tmp_path, capsys):
    run_dir = tiny_run("lch")
    out = tmp_path / "hue.json"
    assert hue_skill.main([run_dir, "--max-examples", "2", "--out", str(out)]) == 0
    record = json.loads(out.read_text())["models"][run_dir]
    assert record["examples"] == 2
    assert record["pixels"] > 0 and 0.0 <= record["accuracy"] <= 1.0
    assert sum(record["hue_frequencies"]) == pytest.approx(1.0, abs=1e-3)
    assert "skill" in capsys.readouterr().out


def test_main_names_a_missing_model(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        hue_skill.main([str(tmp_path / "nowhere")])
    assert exit_.value.code == 2
    assert "nowhere: no such model directory" in capsys.readouterr().err
