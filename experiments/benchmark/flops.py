"""FLOPs of a network's forward pass, counted per layer with Keras alone (no
TensorFlow), so that `experiments.gpu_benchmark` counts them under JAX;
`train_stage.profiler_flops` checks them against TensorFlow's profiler."""

import math

import keras


def input_shape(shape, height, width):
    """The shape of one example of a network input whose Keras shape is
    `shape`: an image `(None, None, None, C)` at `height` x `width`, or a
    vector `(None, n)` (the palette) as it is."""
    if len(shape) == 2:
        return (1, shape[-1])
    return (1, height, width, shape[-1])


def forward_flops(net, height, width=None):
    """FLOPs of one forward pass of a network on one image, layer by layer.

    Counted as TensorFlow's profiler counts the inference graph, so that
    `profiler_flops` checks it exactly: a multiply-add is 2 FLOPs.

    - `Conv2D`: `2 kh kw cin cout` per output pixel, plus 1 per output
      value for the bias; `Conv2DTranspose`: the same per *input* pixel.
    - `BatchNormalization` (inference, an affine map): 2 per value, plus 6
      per channel to fold its statistics.
    - `Rescaling`: 2 per value; `Multiply` and `Add`: 1 per value and
      extra input.
    - `Dense` (the palette's layer): `2 nin nout`, plus `nout` for the bias.
    - `Lambda` (the palette's flag, a sum over it): 1 per input value.
    - ReLU, concatenation, reshapes, inputs: 0.

    The layer shapes come from a symbolic call at this size, so it works
    under any backend (no TensorFlow needed).

    Args:
        net: a functional Keras model (`ClassificationNet`, `RegressionUNet`).
        height, width: the input size (width defaults to height).

    Returns:
        int FLOPs per image.
    """
    width = width or height
    kinds = (
        keras.layers.Conv2D,
        keras.layers.Conv2DTranspose,
        keras.layers.BatchNormalization,
        keras.layers.Rescaling,
        keras.layers.Multiply,
        keras.layers.Add,
        keras.layers.Dense,
        keras.layers.Lambda,
    )
    counted = [layer for layer in net.layers if isinstance(layer, kinds)]
    probe = keras.Model(net.input, [(layer.input, layer.output) for layer in counted])
    # One image of every input: the sketch; with hints also their color and
    # mask, `(1, H, W, C)`; with a palette its `(1, num_classes)` weights.
    image = keras.tree.map_structure(lambda x: keras.KerasTensor(input_shape(x.shape, height, width)), net.input)
    shapes = probe.compute_output_spec(image)
    total = 0
    for layer, (x, y) in zip(counted, shapes, strict=True):
        values = math.prod(y.shape[1:])  # output values per image
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            kh, kw = layer.kernel_size
            per_pixel = 2 * kh * kw * x.shape[-1] * y.shape[-1]
            # A transposed conv scatters one kernel per input pixel.
            transposed = isinstance(layer, keras.layers.Conv2DTranspose)
            pixels = x.shape[1] * x.shape[2] if transposed else y.shape[1] * y.shape[2]
            total += per_pixel * pixels + (values if layer.use_bias else 0)
        elif isinstance(layer, keras.layers.BatchNormalization):
            total += 2 * values + 6 * y.shape[-1]
        elif isinstance(layer, keras.layers.Rescaling):
            total += 2 * values
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * x.shape[-1] * y.shape[-1] + (y.shape[-1] if layer.use_bias else 0)
        elif isinstance(layer, keras.layers.Lambda):
            total += math.prod(x.shape[1:])
        else:  # Multiply, Add
            total += (len(x) - 1) * values
    return int(total)
