"""sketch_colorization dataset tests (tfds.testing.DatasetBuilderTestCase)."""

import tensorflow_datasets as tfds

from dataset_builder.sketch_colorization import sketch_colorization_dataset_builder


class FolderTest(tfds.testing.DatasetBuilderTestCase):
    """dummy_data/ as --manual_dir: 5 good JPEGs (one window each), a 256x320
    PNG (two windows, train), and a too-small, a gray and a broken file that
    are skipped; notes.txt is not an image and is ignored."""

    DATASET_CLASS = sketch_colorization_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["folder"]
    SPLITS = {"train": 5, "validation": 1, "test": 1}


class SyntheticTinyTest(tfds.testing.DatasetBuilderTestCase):
    """48 procedural images, 41/3/4 sources by hash. Train: 22 square images
    (one window each), 7 of 256x320 and 4 of 256x384 (two each), one
    256x384 with one colorful window, and 7 colorless images skipped: 45
    windows; validation 3 square: 3; test 3 square and one 256x384: 5."""

    DATASET_CLASS = sketch_colorization_dataset_builder.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["synthetic_tiny"]
    SPLITS = {"train": 45, "validation": 3, "test": 5}


if __name__ == "__main__":
    tfds.testing.test_main()
