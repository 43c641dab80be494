"""TensorFlow's start-up lines are dropped for the commands (`colorize.tf_logs`),
and importing `colorize` alone changes nothing."""

import os
import types

import pytest

from colorize import tf_logs

import helpers

NOISE_SAMPLE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795966663.947593   29661 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
    "GPU will not be used.",
    "E0000 00:00:1795966668.386257   29661 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
]


def test_only_the_start_up_noise_is_dropped():
    kept = ["E0000 00:00:1.0 123 op_kernel.cc:1] something real went wrong", "Traceback (most recent call last):"]
    text = "\n".join(NOISE_SAMPLE[:2] + kept[:1] + NOISE_SAMPLE[2:] + kept[1:]) + "\n"
    assert tf_logs._shown(text) == "\n".join(kept) + "\n"


def _import_tensorflow(**env):
    code = (
        "from colorize import tf_logs\n"
        "tf_logs.install()\n"
        "import tensorflow as tf\n"
        "print(int(tf.reduce_sum(tf.ones(3))))"
    )
    done = helpers.run_python(["-c", code], environ=helpers.env(**env))
    assert done.stdout.strip() == "3"
    return done.stderr.splitlines()


def _run(code):
    return helpers.run_python(["-c", code]).stdout.split()


def test_importing_colorize_has_no_side_effects():
    # Nothing is hooked and nothing else is loaded.
    code = "import sys, colorize; print(len(sys.meta_path), sorted(m for m in sys.modules if m.startswith('colorize')))"
    before = _run("import sys; print(len(sys.meta_path))")[0]
    assert _run(code) == [before, "['colorize']"]


@pytest.mark.parametrize("command", ["predict", "train", "evaluate", "export", "demo"])
def test_every_command_installs_the_filter_before_tensorflow_loads(command):
    code = (
        f"import sys; from colorize import {command}, tf_logs\n"
        f"try:\n    {command}.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(tf_logs._FINDER in sys.meta_path, 'tensorflow' in sys.modules)"
    )
    assert _run(code)[-2:] == ["True", "False"]  # installed, and --help did not load TensorFlow


def test_the_experiments_install_the_filter_before_their_modules_load_tensorflow():
    code = "import sys, experiments; from colorize import tf_logs; print(tf_logs._FINDER in sys.meta_path)"
    assert _run(code)[-1] == "True"


@pytest.mark.slow
def test_importing_tensorflow_after_install_prints_no_start_up_lines():
    quiet = _import_tensorflow()
    assert not [line for line in quiet if tf_logs.NOISE.match(line)], quiet
    # The same process with the hook off shows what was dropped (this
    # machine's TensorFlow does print start-up lines).
    loud = _import_tensorflow(**{tf_logs.ENV: "1"})
    assert [line for line in loud if tf_logs.NOISE.match(line)], loud


def test_install_also_quiets_what_runs_later_unless_the_user_chose():
    code = (
        "import logging, os; from colorize import tf_logs\n"
        "tf_logs.install()\n"
        "logging.warning('apitools not found, and bigquery client libraries are not available')\n"
        "logging.warning('a real warning')\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], logging.getLogger('absl').level)"
    )
    unset = {k: v for k, v in helpers.env().items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = helpers.run_python(["-c", code], environ=unset)
    assert done.stdout.split() == ["2", str(40)]  # C++ INFO and WARNING off; absl: errors only
    assert "apitools" not in done.stderr and "a real warning" in done.stderr
    chosen = helpers.run_python(["-c", code], environ=helpers.env(TF_CPP_MIN_LOG_LEVEL="0"))
    assert chosen.stdout.split()[0] == "0"


class _FailingLoader:
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        os.write(2, b"I0000 00:00:1.0 1 port.cc:1] an info line\nE0000 00:00:1.0 1 x.cc:1] why it broke\n")
        raise ImportError("broken build")


def test_a_failed_import_shows_everything_it_printed(capfd):
    loader = tf_logs._QuietLoader(_FailingLoader())
    with pytest.raises(ImportError, match="broken build"):
        loader.exec_module(types.ModuleType("tensorflow"))
    err = capfd.readouterr().err
    assert "an info line" in err and "why it broke" in err
