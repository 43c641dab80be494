"""The paper's two networks, as Keras functional models.

Both take the raw sketch, `(batch, H, W, 1)` with values 0..255 (any dtype),
and normalize it inside the model (the reference code subtracted the sketch
mean, 219), so an exported model takes raw pixels. Both are fully
convolutional: any H, W divisible by 8 works.

- `ClassificationNet` (Zhang et al. style, paper Fig. 5): logits over the 512
  color classes at a quarter of the input resolution (64x64 for 256x256).
- `RegressionUNet` (paper Fig. 4): the same encoder with a U-Net decoder and
  pass-through layers; predicts RGB on a 0..255 scale at full resolution,
  multiplied by sketch / 255 so that the lines mask the colors.
- `build_colorizer` wraps either into the model a user calls: raw sketch in,
  RGB 0..255 out at the input resolution (decoded, upsampled x4 and masked
  for the classification net).
"""

import keras
from keras import layers

from colorize import color

SKETCH_MEAN = 219.0


def _filters(base, width):
    """Channels of a layer whose paper width is `base`, under a width
    multiplier (never fewer than 4)."""
    return max(4, int(round(base * width)))


def _conv(x, filters, name, strides=1, dilation_rate=1, batch_norm=False, sync=False):
    """3x3 conv + ReLU (+ BN after it, as in Zhang et al.'s blocks).

    `sync` synchronizes batch statistics across replicas (TensorFlow only),
    so that every worker keeps the same moving statistics."""
    x = layers.Conv2D(
        filters,
        3,
        strides=strides,
        dilation_rate=dilation_rate,
        padding="same",
        activation="relu",
        name=name,
    )(x)
    if batch_norm:
        x = layers.BatchNormalization(synchronized=sync, name=f"{name}_bn")(x)
    return x


def _encoder(sketch, width, sync):
    """The shared encoder (conv1-conv7 of Zhang et al.).

    Returns the features at 1/8 resolution and the pass-through features at
    full, 1/2 and 1/4 resolution.
    """
    # Normalize raw pixels inside the model: mean 219 as in the reference.
    x = layers.Rescaling(1.0 / 255.0, offset=-SKETCH_MEAN / 255.0, name="normalize")(sketch)
    x = _conv(x, _filters(64, width), "conv1_1")  # (b, H, W, 64)
    full = x
    x = _conv(x, _filters(64, width), "conv1_2", strides=2, batch_norm=True, sync=sync)  # (b, H/2, W/2, 64)
    half = x
    x = _conv(x, _filters(128, width), "conv2_1")
    x = _conv(x, _filters(128, width), "conv2_2", strides=2, batch_norm=True, sync=sync)  # (b, H/4, W/4, 128)
    quarter = x
    x = _conv(x, _filters(256, width), "conv3_1")
    x = _conv(x, _filters(256, width), "conv3_2")
    x = _conv(x, _filters(256, width), "conv3_3", strides=2, batch_norm=True, sync=sync)  # (b, H/8, W/8, 256)
    # Four blocks of three 512-channel convs; dilation widens the view.
    for block, dilation in zip((4, 5, 6, 7), (1, 2, 2, 1)):
        for i in (1, 2, 3):
            x = _conv(
                x,
                _filters(512, width),
                f"conv{block}_{i}",
                dilation_rate=dilation,
                batch_norm=(i == 3),
                sync=sync,
            )
    return x, (full, half, quarter)  # x: (b, H/8, W/8, 512)


def _sketch_input(name="sketch"):
    return keras.Input(shape=(None, None, 1), name=name)


@keras.saving.register_keras_serializable(package="colorize")
class ClassificationNet(keras.Model):
    """Zhang et al.'s colorization network with 512 color classes.

    Args:
        width: channel multiplier; 1.0 is the paper's network.
        num_classes: number of color classes (8 bins per channel: 512).
        sync_batch_norm: synchronize batch-norm statistics across replicas
            (multi-replica training, TensorFlow backend only).

    Call arguments:
        sketch: `(batch, H, W, 1)` raw sketch pixels 0..255, H and W
            divisible by 8.

    Returns:
        Logits `(batch, H/4, W/4, num_classes)`, float32.

    Example:
        >>> net = ClassificationNet(width=0.125)
        >>> net(np.zeros((1, 64, 64, 1))).shape
        (1, 16, 16, 512)

    Reference:
        Zhang, Isola, Efros, "Colorful Image Colorization", ECCV 2016;
        Inoue, "Line Drawing Colorization", Fig. 5.
    """

    def __init__(self, width=1.0, num_classes=color.NUM_CLASSES, sync_batch_norm=False, **kwargs):
        sketch = _sketch_input()
        x, _ = _encoder(sketch, width, sync_batch_norm)
        x = layers.Conv2DTranspose(
            _filters(256, width), 4, strides=2, padding="same", activation="relu", name="conv8_1"
        )(x)  # (b, H/4, W/4, 256)
        x = _conv(x, _filters(256, width), "conv8_2")
        x = _conv(x, _filters(256, width), "conv8_3")
        # Logits stay float32 under a mixed-precision policy.
        logits = layers.Conv2D(num_classes, 1, name="logits", dtype="float32")(x)
        super().__init__(inputs=sketch, outputs=logits, **kwargs)
        self.width = width
        self.num_classes = num_classes
        self.sync_batch_norm = sync_batch_norm

    def get_config(self):
        return {
            "width": self.width,
            "num_classes": self.num_classes,
            "sync_batch_norm": self.sync_batch_norm,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="colorize")
class RegressionUNet(keras.Model):
    """The paper's regression model: Zhang's encoder with a U-Net decoder.

    Transpose convolutions go back up to 256, 128 and 64 channels, each
    concatenated with the encoder layer of the same size (pass-through
    layers), then convs of 32 (+BN), 16 (+BN) and 3 channels. The prediction
    is multiplied by sketch / 255.

    Args:
        width: channel multiplier; 1.0 is the paper's network.
        sync_batch_norm: synchronize batch-norm statistics across replicas
            (multi-replica training, TensorFlow backend only).

    Call arguments:
        sketch: `(batch, H, W, 1)` raw sketch pixels 0..255, H and W
            divisible by 8.

    Returns:
        RGB `(batch, H, W, 3)` on a 0..255 scale (not clipped), float32.

    Reference:
        Inoue, "Line Drawing Colorization", Fig. 4; Ronneberger et al.,
        "U-Net", MICCAI 2015.
    """

    def __init__(self, width=1.0, sync_batch_norm=False, **kwargs):
        sketch = _sketch_input()
        x, (full, half, quarter) = _encoder(sketch, width, sync_batch_norm)
        for filters, skip, name in ((256, quarter, "up1"), (128, half, "up2"), (64, full, "up3")):
            x = layers.Conv2DTranspose(
                _filters(filters, width), 4, strides=2, padding="same", activation="relu", name=name
            )(x)
            x = layers.Concatenate(name=f"{name}_skip")([x, skip])
        x = _conv(x, _filters(32, width), "conv9_1", batch_norm=True, sync=sync_batch_norm)
        x = _conv(x, _filters(16, width), "conv9_2", batch_norm=True, sync=sync_batch_norm)
        # Linear last layer (as in the paper) predicting in unit scale
        # around mid-gray; 0..255 is recovered by an affine map.
        x = layers.Conv2D(3, 3, padding="same", name="rgb", dtype="float32")(x)
        rgb = layers.Rescaling(127.5, offset=127.5, name="to_255", dtype="float32")(x)
        rgb = _mask(rgb, sketch)
        super().__init__(inputs=sketch, outputs=rgb, **kwargs)
        self.width = width
        self.sync_batch_norm = sync_batch_norm

    def get_config(self):
        return {"width": self.width, "sync_batch_norm": self.sync_batch_norm, "name": self.name}


def _mask(rgb, sketch):
    """Multiplies colors by sketch / 255: the paper's merge of the input."""
    mask = layers.Rescaling(1.0 / 255.0, name="sketch_mask", dtype="float32")(sketch)
    return layers.Multiply(name="masked", dtype="float32")([rgb, mask])  # (b, H, W, 3)


def build_net(kind, width=1.0, sync_batch_norm=False, name=None):
    """Builds the training network of a variant (`"regression"` or
    `"classification"`)."""
    if kind == "regression":
        return RegressionUNet(width=width, sync_batch_norm=sync_batch_norm, name=name or "regression_unet")
    if kind == "classification":
        return ClassificationNet(width=width, sync_batch_norm=sync_batch_norm, name=name or "classification_net")
    raise ValueError(f"unknown model kind {kind!r}; expected 'regression' or 'classification'")


def build_colorizer(net, space="rgb", temperature=0.38):
    """The model a user calls: raw sketch in, colored image out.

    For a `ClassificationNet` the logits are decoded with the annealed mean
    (in `space`, at temperature `temperature`), upsampled x4 bilinearly and
    multiplied by sketch / 255; a `RegressionUNet` already returns masked
    RGB. The output is clipped to 0..255.

    Args:
        net: a `ClassificationNet` or `RegressionUNet`.
        space: color space of the classes (`"rgb"` or `"lch"`).
        temperature: annealed-mean temperature T.

    Returns:
        A functional model `(batch, H, W, 1)` raw sketch ->
        `(batch, H, W, 3)` float32 RGB in [0, 255].
    """
    from colorize.layers import AnnealedMean  # noqa: PLC0415 (layers imports models' deps)

    sketch = _sketch_input()
    out = net(sketch)
    if isinstance(net, ClassificationNet):
        rgb = AnnealedMean(space=space, temperature=temperature, name="annealed_mean")(out)
        rgb = layers.UpSampling2D(4, interpolation="bilinear", name="upsample", dtype="float32")(rgb)
        out = _mask(rgb, sketch)
    elif not isinstance(net, RegressionUNet):
        raise TypeError(f"expected a ClassificationNet or RegressionUNet, got {type(net).__name__}")
    rgb = layers.Activation(lambda_clip_255, name="clip", dtype="float32")(out)
    return keras.Model(sketch, rgb, name="colorizer")


@keras.saving.register_keras_serializable(package="colorize")
def lambda_clip_255(x):
    """Clips to the displayable range 0..255."""
    return keras.ops.clip(x, 0.0, 255.0)
