"""sketch_colorization dataset (TFDS builder).

Importing this package registers the builder with TFDS, so that
`tfds.load("sketch_colorization/synthetic", data_dir=...)` and
`tfds.builder(...)` find it. To build it from Python, use
`colorize.data.build.build`, which imports this package; this package
imports `colorize.data.examples` (the per-source work), never
`colorize.data.build`.
"""

from .sketch_colorization_dataset_builder import Builder, split_for

__all__ = ["Builder", "split_for"]
