"""What training shows a person: TensorBoard scalars and image grids, and the
grid PNGs of the run directory.

Only the chief worker writes; on the other workers `SummaryWriter` is a no-op
(TensorFlow's no-op summary writer, and no PNG), so the loop calls it the
same way everywhere.
"""

import numpy as np
import tensorflow as tf

from colorize import fileio, runs


def image_grid(sketches, predictions, truths, max_rows=6):
    """Rows of (sketch | prediction | ground truth) as one RGB uint8 image.

    Args:
        sketches: (n, H, W, 1) sketches, 0..255 (uint8 or float).
        predictions: (n, H, W, 3) RGB predictions, 0..255 floats (rounded and
            clipped here).
        truths: (n, H, W, 3) ground-truth RGB, 0..255.
        max_rows: at most this many examples (rows) are drawn.

    Returns:
        (min(n, max_rows) * H, 3 * W, 3) uint8.
    """
    rows = []
    for sketch, pred, truth in list(zip(sketches, predictions, truths, strict=True))[:max_rows]:
        s = np.repeat(np.asarray(sketch).astype(np.uint8), 3, axis=-1)
        p = np.clip(np.round(pred), 0, 255).astype(np.uint8)
        rows.append(np.concatenate([s, p, np.asarray(truth).astype(np.uint8)], axis=1))
    return np.concatenate(rows, axis=0)


class SummaryWriter:
    """TensorBoard summaries (`RUN_DIR/logs`) and grid PNGs
    (`RUN_DIR/grids/epoch_NNN.png`) of one run.

    Args:
        run_dir: the run directory.
        enabled: whether this worker writes (the chief); when False every
            method does nothing.
    """

    def __init__(self, run_dir, enabled=True):
        self.run_dir = run_dir
        self.enabled = enabled
        if enabled:
            self._writer = tf.summary.create_file_writer(runs.logs_dir(run_dir))
        else:
            self._writer = tf.summary.create_noop_writer()

    def scalars(self, step, values):
        """Writes scalar summaries.

        Args:
            step: the global training step (x axis).
            values: a dict of tag -> float, e.g. `{"train/loss": 0.5}`.
        """
        with self._writer.as_default(step=int(step)):
            for tag, value in values.items():
                tf.summary.scalar(tag, float(value))

    def grid(self, step, epoch, grid, tag="validation/sketch_prediction_truth"):
        """Writes an image grid to TensorBoard and as `grids/epoch_NNN.png`.

        Args:
            step: the global training step.
            epoch: the epoch (names the PNG, 1-based).
            grid: (H, W, 3) uint8, as made by `image_grid`.
            tag: the TensorBoard tag.
        """
        if not self.enabled:
            return
        with self._writer.as_default(step=int(step)):
            tf.summary.image(tag, grid[np.newaxis], max_outputs=1)
        fileio.save_png(runs.grid_path(self.run_dir, epoch), grid)

    def flush(self):
        self._writer.flush()
