"""experiments/predict_speed.py: its drawings, and its reading of predict's output."""

import cv2
import numpy as np

from colorize import predict
from experiments import predict_speed


def test_drawings_are_black_outlines_on_white():
    image = predict_speed.drawing(300, 200, 0)
    assert image.shape == (300, 200) and image.dtype == np.uint8
    assert 0.6 < np.mean(image == 255) < 0.99 and image.min() < 64
    np.testing.assert_array_equal(image, predict_speed.drawing(300, 200, 0))  # seeded


def test_per_image_times_are_read_from_predicts_own_lines(run_dir, tmp_path, capsys):
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), predict_speed.drawing(64, 96, i))
    assert (
        predict.main(
            [str(tmp_path / "0.png"), str(tmp_path / "1.png"), "-o", str(tmp_path / "out"), "--model", run_dir]
        )
        == 0
    )
    times = predict_speed.image_times(capsys.readouterr().out)
    assert len(times) == 2 and all(0 < t < 600 for t in times)


def test_the_table_puts_before_next_to_after():
    keys = ["import_tensorflow_s", "first_png_s", "first_png_after_import_s", "first_png_wall_s", "mp16_image_s"]
    keys += ["mp16_wall_s", "folder_images_per_s", "folder_steady_s"]
    before = dict.fromkeys(keys, 2.0) | {"folder_size": 100}
    after = dict.fromkeys(keys, 1.0) | {"folder_size": 100}
    table = predict_speed.markdown_table(before, after).splitlines()
    assert table[0] == "| measured (median of runs) | before | after |" and len(table) == 2 + 8
    assert "| 2.00 s | 1.00 s |" in table[2] and "images/s" in table[-2]
