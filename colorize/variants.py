"""The paper's five variants and the training presets: one base config plus
small differences, in one place.

A resolved `Config` is what a run directory records (`runs.save_config`)
and what evaluation, export and prediction read back (`runs.load_config`).
"""

import dataclasses
import json
import math

from colorize.errors import ColorizeError

PAPER_TEMPERATURE = 0.38
"""The annealed-mean temperature T of the paper (section 4.2, after Zhang
et al.): the default of every run, decoder and page."""

PAPER_REBALANCE_LAMBDA = 0.5
"""The class-rebalancing lambda of the paper (Zhang et al.'s): the weights
come from `(1 - lambda) * prior + lambda / Q`."""

SKETCH_KINDS = ("line", "binary", "mix")
"""What a run trains on: the dataset's line sketch, its binary one, or a mix
with degraded sketches (`colorize.data.pipeline.choose_sketch`)."""


def check_temperature(value, name="temperature"):
    """An annealed-mean temperature, checked: the one rule for every entry
    point (flags, configs, the decoder layer, the colorizer core, the page).

    Args:
        value: the temperature (a number).
        name: what the message calls it ("--temperature" for a flag).

    Returns:
        `value` as a float.

    Raises:
        ColorizeError: not a number, not finite, or not positive.
    """
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise ColorizeError(f"{name} must be a number, not {value!r}") from None
    if not (math.isfinite(t) and t > 0):
        raise ColorizeError(f"{name} must be positive, not {value}")
    return t


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything that defines a training run.

    The defaults are the `small` preset of the `rebalance` variant on the
    built-in synthetic data; `variant()` and `preset()` change only what
    differs from them.
    """

    # Variant: what the paper compares.
    variant: str = "rebalance"
    model: str = "classification"  # "regression" | "classification"
    space: str = "rgb"  # color space of classes (and of the decode): "rgb" | "lch"
    rebalance: bool = True  # class-rebalancing weights
    rebalance_lambda: float = PAPER_REBALANCE_LAMBDA
    spare_white: bool = False  # white classes keep weight 1 (`targets.rebalance_weights`)
    saturation_weight: float = 0.0  # lambda_mix of the saturation ("chroma") term
    temperature: float = PAPER_TEMPERATURE  # annealed-mean temperature T
    # Color hints (ideepcolor): the network also takes hint colors and a mask,
    # trained with hints simulated from the ground truth (`colorize.data.simulated_hints`).
    hints: bool = True
    hint_none_share: float = 0.125  # share of training examples without any hint
    hint_geometric_p: float = 0.125  # p of the geometric number of hints (mean 1 / p when there are some)
    hint_counts: str = "loguniform"  # how the number of hints is drawn: "geometric" | "loguniform"
    hint_stroke_share: float = 0.5  # share of simulated hints that are strokes, not dots
    # A palette input (ideepcolor's global hints, `colorize.palettes`), given
    # the truth's palette in `palette_share` of the training examples.
    palette: bool = True
    palette_share: float = 0.25
    # Preset: how big and how long.
    preset: str = "small"
    width: float = 0.125  # channel multiplier; 1.0 is the paper's network
    image_size: int = 128  # training resolution (dataset windows are 256 px)
    # Random resized crop in training: a square of crop_scale..1 of the
    # window's side, at a random place, resized to image_size (1.0: none).
    crop_scale: float = 1.0
    batch_size: int = 16
    learning_rate: float = 1e-3
    epochs: int = 6
    init_from: str = ""  # warm start: a run (or packed model) whose network weights the run starts from
    steps_per_epoch: int = 0  # 0: one pass over the training split
    plateau_patience: int = 2  # epochs without validation improvement
    plateau_factor: float = 0.1  # "divided by 10 when the loss plateaus"
    min_learning_rate: float = 1e-7
    # Data.
    dataset: str = "sketch_colorization/synthetic"
    data_dir: str = ""  # "" : ~/tensorflow_datasets
    sketch: str = "line"  # "line" | "binary" | "mix"
    # Batches of the validation split per epoch (0: all). 32 of 16: 512 windows, a few seconds; with 8, one
    # epoch's validation loss moved by more than an epoch of training changed it, and the plateau rule
    # lowered the learning rate on that noise.
    validation_batches: int = 32
    # Execution.
    precision: str = "float32"  # "float32" | "mixed_float16" | "mixed_bfloat16"
    jit_compile: bool = False
    seed: int = 0
    log_every: int = 20  # steps between progress lines
    checkpoint_every: int = 100  # steps between mid-epoch checkpoints
    keep_checkpoints: int = 3
    # Stochastic weight averaging (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better
    # Generalization"): from this epoch on, the run keeps the mean of the networks at the end of each epoch
    # as `runs.average_dir` (0: off). A fine-tune at a constant learning rate wavers from epoch to epoch;
    # their mean smooths that out.
    average_from: int = 0

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values):
        """A config from its recorded dict (`to_json`).

        Fields recorded before they existed take the value that reproduces
        the old behaviour (`LEGACY_DEFAULTS`: a run recorded without `hints`
        was trained without them), the others their default.

        Raises:
            ColorizeError: a key that is not a field.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ColorizeError(f"unknown config keys {unknown}")
        return cls(**{**LEGACY_DEFAULTS, **values})


# What a recorded config that lacks a field meant when it was written.
LEGACY_DEFAULTS = {
    "hints": False,
    "hint_counts": "geometric",
    "hint_stroke_share": 0.0,
    "palette": False,
}


BASE = Config()

# The paper's variants (section 3.2), each the previous one plus one change.
VARIANTS = {
    "regression": dict(model="regression", space="rgb", rebalance=False, saturation_weight=0.0),
    "classification": dict(model="classification", space="rgb", rebalance=False, saturation_weight=0.0),
    "rebalance": dict(model="classification", space="rgb", rebalance=True, saturation_weight=0.0),
    "lch": dict(model="classification", space="lch", rebalance=True, saturation_weight=0.0),
    "chroma": dict(model="classification", space="lch", rebalance=True, saturation_weight=1.0),
}

VARIANT_HELP = {
    "regression": "U-Net, RGB, L2 loss (paper 3.2.1)",
    "classification": "Zhang-style net, 512 RGB classes, soft cross entropy (3.2.2)",
    "rebalance": "classification + class-rebalancing weights",
    "lch": "rebalance with classes in CIE-LCH",
    "chroma": "lch + the saturation-matrix (chroma) loss term",
}

PRESETS = {
    # Trains on 2 CPU cores in about ten minutes on the synthetic data.
    "small": dict(width=0.125, image_size=128, batch_size=16, learning_rate=1e-3, epochs=6, steps_per_epoch=0),
    # The paper: 256 px, full width, batch 24, Adam 1e-4 divided by 10 on plateau.
    "paper": dict(width=1.0, image_size=256, batch_size=24, learning_rate=1e-4, epochs=30, steps_per_epoch=0),
    # A smoke test: seconds on a CPU (tests, benchmarks, trying the tool).
    "tiny": dict(
        width=0.0625,
        image_size=64,
        batch_size=8,
        learning_rate=1e-3,
        epochs=1,
        steps_per_epoch=4,
        validation_batches=1,
        dataset="sketch_colorization/synthetic_tiny",
        log_every=1,
    ),
}


def resolve(variant="rebalance", preset="small", **overrides):
    """The config of `variant` under `preset`, with explicit overrides.

    Raises:
        ColorizeError: unknown variant, preset or field, or a bad value.
    """
    if variant not in VARIANTS:
        raise ColorizeError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if preset not in PRESETS:
        raise ColorizeError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    config = BASE.replace(variant=variant, preset=preset, **VARIANTS[variant], **PRESETS[preset])
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("hints") is False and "palette" not in given:
        given["palette"] = False  # a palette joins the hint inputs: no hints, no palette
    if given.get("precision") == "auto":
        given["precision"] = detect_precision()
    try:
        config = config.replace(**given)
    except TypeError as e:
        raise ColorizeError(str(e)) from None
    validate(config)
    return config


BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_bfloat16_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU's bfloat16 matrix and vector extensions that this machine's
    `/proc/cpuinfo` lists (`BFLOAT16_FLAGS`: Intel AMX-BF16 tiles and
    AVX512-BF16); empty where the file is missing (not Linux) or lists none."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return tuple(flag for flag in BFLOAT16_FLAGS if flag in flags)
    except OSError:
        pass
    return ()


def detect_precision(cpuinfo="/proc/cpuinfo"):
    """The training precision for this machine: `"mixed_bfloat16"` on a CPU
    with bfloat16 units (`cpu_bfloat16_flags`; oneDNN runs bfloat16
    convolutions and matrix products on them), else `"float32"`."""
    return "mixed_bfloat16" if cpu_bfloat16_flags(cpuinfo) else "float32"


def validate(config):
    """Checks values a user can get wrong; raises a one-line ColorizeError."""
    check_temperature(config.temperature)
    checks = [
        (
            config.model in ("regression", "classification"),
            f"model must be regression or classification, not {config.model!r}",
        ),
        (config.space in ("rgb", "lch"), f"space must be rgb or lch, not {config.space!r}"),
        (config.sketch in SKETCH_KINDS, f"--sketch must be one of {', '.join(SKETCH_KINDS)}, not {config.sketch!r}"),
        (
            config.precision in ("float32", "mixed_float16", "mixed_bfloat16"),
            f"--precision must be float32, mixed_float16 or mixed_bfloat16, not {config.precision!r}",
        ),
        (config.batch_size > 0, f"--batch-size must be positive, not {config.batch_size}"),
        (config.epochs > 0, f"--epochs must be positive, not {config.epochs}"),
        (config.steps_per_epoch >= 0, f"--steps-per-epoch must be >= 0, not {config.steps_per_epoch}"),
        (
            config.image_size >= 16 and config.image_size % 8 == 0,
            f"--image-size must be a multiple of 8 and >= 16, not {config.image_size}",
        ),
        (config.image_size <= 256, f"--image-size must be <= 256 (the dataset's window size), not {config.image_size}"),
        (config.width > 0, f"--width must be positive, not {config.width}"),
        (config.learning_rate > 0, f"--learning-rate must be positive, not {config.learning_rate}"),
        (config.log_every > 0, f"--log-every must be positive, not {config.log_every}"),
        (config.checkpoint_every > 0, f"--checkpoint-every must be positive, not {config.checkpoint_every}"),
        (config.average_from >= 0, f"--average-from must be an epoch or 0 (off), not {config.average_from}"),
        (
            0.0 < config.rebalance_lambda <= 1.0,
            f"--rebalance-lambda must be in (0, 1], not {config.rebalance_lambda}",
        ),
        (isinstance(config.hints, bool), f"--hints must be on or off, not {config.hints!r}"),
        (isinstance(config.spare_white, bool), f"--spare-white must be on or off, not {config.spare_white!r}"),
        (
            0.0 <= config.hint_none_share <= 1.0,
            f"--hint-none-share must be in [0, 1], not {config.hint_none_share}",
        ),
        (
            0.0 < config.hint_geometric_p <= 1.0,
            f"hint_geometric_p must be in (0, 1], not {config.hint_geometric_p}",
        ),
        (
            config.hint_counts in ("geometric", "loguniform"),
            f"hint_counts must be geometric or loguniform, not {config.hint_counts!r}",
        ),
        (
            0.0 <= config.hint_stroke_share <= 1.0,
            f"hint_stroke_share must be in [0, 1], not {config.hint_stroke_share}",
        ),
        (isinstance(config.palette, bool), f"--palette must be on or off, not {config.palette!r}"),
        (not config.palette or config.hints, "--palette on needs --hints on (the palette joins the hint inputs)"),
        (0.0 <= config.palette_share <= 1.0, f"palette_share must be in [0, 1], not {config.palette_share}"),
        (0.25 <= config.crop_scale <= 1.0, f"--crop-scale must be in [0.25, 1], not {config.crop_scale}"),
    ]
    for ok, message in checks:
        if not ok:
            raise ColorizeError(message)
