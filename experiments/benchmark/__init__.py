"""How fast each stage is, next to its floor or reference:
`python -m experiments.benchmark [--stage build|targets|train|inference|all]`.

Stages:

- build: images/s of the dataset builder's per-image work (decode or
  generate, `sketch.prepare_examples`, TFDS feature encoding) for synthetic
  images and for a folder of real ones, next to the floor measured in the
  same run (decoding the inputs and encoding the outputs only); and one real
  TFDS build of `synthetic_tiny`, end to end.
- targets: per example (256 -> 64 px), the factored targets the losses use
  (`targets.soft_factors`), the 512-wide ones (`targets.encode_colors`),
  targets plus the variant's loss (value; value and gradient), the same from
  512-wide targets, and the hard-label softmax cross entropy (the floor of a
  512-class loss), each next to the reference code's offline NumPy encoding
  (`experiments.reference_targets`) timed in the same run; the bytes our
  TFRecords store per example next to the reference's 64x64x512 float16
  targets.
- train: images/s of `colorize.training.trainer.Trainer`'s step for every variant at the
  small and paper presets, next to the bare network's forward+backward with a
  trivial loss (so the cost of targets, weights and losses is a ratio) and
  with hard-label softmax cross entropy (what any 512-class loss costs); the
  input pipeline's own throughput; FLOPs per image of each network (counted
  per layer and checked against TensorFlow's graph profiler) and the achieved
  FLOP/s.
- inference: latency of the exported SavedModel (`colorize.serving.saved_model`) on 256,
  512 and 1024 px sketches (PNG bytes in, PNG out; and uint8 sketch in),
  next to its floor (the network alone at the trained scale plus decoding
  the input PNG and encoding the output PNG), and batch throughput.

Every figure is the median of `--repeats` timed runs after a warm-up. The
table is printed (Markdown) and everything, with the machine's description,
goes to `--json` (default `experiments/results/benchmark.json`; a run of
some stages replaces those stages there and keeps the others). `--quick`
runs every stage on a tiny budget (the tests use it): the numbers then only
show that the code works, and they go to the temporary folder unless
`--json` names a file, never over the committed results.

The package: `cli` (the command line), `config` (stages and budgets), one
module per stage (`build_stage`, `targets_stage`, `train_stage`,
`inference_stage`), `report` (the tables); `timing` and `flops` import no
TensorFlow, so that `experiments.gpu_benchmark` uses them under Keras's JAX
backend.
"""
