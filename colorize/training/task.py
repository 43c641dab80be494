"""The colorization training task: what to train, on what, with which loss.

As in tensorflow/models `official/` (a `Task` builds the model, the losses,
the inputs and the per-replica train and validation steps; a separate loop
runs them), `ColorizationTask` holds everything specific to this problem and
`colorize.training.trainer.Trainer` everything about running it: distribution,
checkpoints, resuming, the learning-rate rule, summaries.
"""

import keras
import tensorflow as tf

from colorize import runs
from colorize.data import pipeline
from colorize.nets import color, losses, models, targets


def class_weights(config, builder):
    """Rebalancing weights from the training split's class prior.

    The prior is counted once per dataset, color space and resolution, at the
    logits' resolution (a quarter of the training size, where the loss weights
    pixels), and cached beside the dataset (`runs.class_prior_path`).

    Args:
        config: a `variants.Config`.
        builder: the dataset's prepared TFDS builder.

    Returns:
        (512,) float64 per-class weights (`targets.rebalance_weights`).
    """
    out = config.image_size // 4
    path = runs.class_prior_path(builder.data_dir, config.space, out)
    prior = targets.load_or_compute_prior(
        path, lambda: pipeline.color_batches(config, "train"), config.space, size=(out, out)
    )
    spare = targets.white_classes(config.space) if config.spare_white else None
    return targets.rebalance_weights(prior, config.rebalance_lambda, spare_white=spare)


class ColorizationTask:
    """One variant of the paper as a training task.

    Creating it sets the Keras precision policy and random seed of the run,
    finds (or, for the built-in synthetic data, builds) the dataset and, for a
    rebalanced classification variant, loads or computes the class prior.

    Args:
        config: the resolved `variants.Config`.

    Raises:
        ColorizeError: the dataset is not built (and is not built-in), or its
            class prior cannot be written.
    """

    def __init__(self, config):
        self.config = config
        keras.mixed_precision.set_global_policy(config.precision)
        keras.utils.set_random_seed(config.seed)
        self.builder = pipeline.ensure_dataset(config)
        self.num_train = pipeline.num_examples(self.builder, "train")
        rebalanced = config.rebalance and config.model == "classification"
        self.class_weights = class_weights(config, self.builder) if rebalanced else None
        self.loss_fn = losses.for_config(config, self.class_weights)

    # -- builders --------------------------------------------------------------

    def build_model(self, sync_batch_norm=False):
        """The variant's network (call it inside the strategy's scope).

        Args:
            sync_batch_norm: synchronize batch statistics over replicas (so
                that all keep identical moving statistics).

        Returns:
            A `models.ClassificationNet` or `models.RegressionUNet`.
        """
        return models.build_net(
            self.config.model,
            width=self.config.width,
            sync_batch_norm=sync_batch_norm,
            hints=self.config.hints,
            palette=self.config.palette,
        )

    def build_optimizer(self):
        """Adam at the config's learning rate; loss-scaled under mixed_float16.

        Returns:
            A `keras.optimizers.Optimizer` (not yet built).
        """
        optimizer = keras.optimizers.Adam(self.config.learning_rate)
        if self.config.precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def build_inputs(self, split, training, input_context=None):
        """Batches of `(inputs, color)`: the network's inputs and the ground
        truth, `(b, S, S, 3)` uint8.

        The inputs are the sketch, `(b, S, S, 1)` uint8, or, when the config
        has hints, the dict of it and hints simulated from the ground truth
        (`pipeline.make_dataset`; validation gets the same hints every epoch).

        Args:
            split: "train", "validation" or "test".
            training: shuffle, augment and repeat forever (else one ordered
                pass; for validation at most `config.validation_batches`
                batches when that is > 0).
            input_context: a `tf.distribute.InputContext` (sharding and the
                per-replica batch size), or None.

        Returns:
            A `tf.data.Dataset`.
        """
        ds = pipeline.make_dataset(
            self.config, split, training=training, input_context=input_context, hints=self.config.hints
        )
        if not training and split == "validation" and self.config.validation_batches:
            ds = ds.take(self.config.validation_batches)
        return ds

    def build_colorizer(self, net):
        """The user-facing colorizer of `net`: the network's inputs (as
        `build_inputs` gives them) in, RGB 0..255 out."""
        if self.config.hints:
            return models.build_guided_colorizer(net, self.config.space, self.config.temperature)
        return models.build_colorizer(net, self.config.space, self.config.temperature)

    @staticmethod
    def sketch_of(inputs):
        """The `(b, S, S, 1)` sketch of a batch's network inputs."""
        return pipeline.sketch_of(inputs)

    # -- steps -----------------------------------------------------------------

    def per_example_loss(self, net, inputs, color_img, training):
        """The loss of each example.

        Args:
            net: the network.
            inputs: (b, S, S, 1) uint8 sketches, or the dict of sketches and
                hints (`build_inputs`).
            color_img: (b, S, S, 3) uint8 ground-truth colors.
            training: batch norm in training mode.

        Returns:
            (b,) float32 losses.
        """
        out = net(inputs, training=training)
        return self.loss_fn(keras.ops.cast(color_img, "float32"), out)  # (b,)

    def train_step(self, batch, net, optimizer, global_batch_size):
        """One optimizer step on one replica's share of a global batch (run it
        with `strategy.run`).

        The per-example losses are averaged over the *global* batch
        (`tf.nn.compute_average_loss`), so that summing the replicas' gradients
        gives the gradient of the global mean.

        Args:
            batch: `(inputs, color)` of this replica (`build_inputs`).
            net: the network.
            optimizer: its optimizer (scales the loss under mixed_float16).
            global_batch_size: examples in the global batch.

        Returns:
            This replica's share of the global mean loss (a float32 scalar;
            the replicas' shares sum to the mean).
        """
        inputs, color_img = batch
        with tf.GradientTape() as tape:
            per_example = self.per_example_loss(net, inputs, color_img, training=True)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    def validation_step(self, batch, net, colorizer):
        """Per-example validation figures of one batch.

        Args:
            batch: `(inputs, color)` (`build_inputs`).
            net: the network.
            colorizer: `build_colorizer(net)`.

        Returns:
            A dict of `loss`, `rgb_mse` (mean squared error of the colorizer's
            RGB, 0..255 scale), `chroma` and `true_chroma` (mean CIE-LCH
            chroma of the output and of the ground truth), `hue_right` and
            `hue_pixels` (`targets.hue_agreement`; 0 for a regression
            network), each (b,) float32, and `rgb`, the colorizer's (b, S, S,
            3) float32 output, 0..255.
        """
        inputs, color_img = batch
        out = net(inputs, training=False)
        per_example = self.loss_fn(keras.ops.cast(color_img, "float32"), out)  # (b,)
        if self.config.model == "classification":
            hue_right, hue_pixels = targets.hue_agreement(out, color_img, self.config.space)
        else:
            hue_right = hue_pixels = tf.zeros_like(per_example)
        rgb = colorizer(inputs, training=False)  # (b, S, S, 3) 0..255
        truth = tf.cast(color_img, tf.float32)
        return dict(
            loss=per_example,
            hue_right=hue_right,
            hue_pixels=hue_pixels,
            rgb_mse=tf.reduce_mean(tf.square(rgb - truth), axis=[1, 2, 3]),
            chroma=tf.reduce_mean(color.rgb_to_lch(rgb / 255.0)[..., 1], [1, 2]),
            true_chroma=tf.reduce_mean(color.rgb_to_lch(truth / 255.0)[..., 1], [1, 2]),
            rgb=rgb,
        )
