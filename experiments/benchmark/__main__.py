"""`python -m experiments.benchmark`: see `experiments.benchmark.cli`."""

import sys

from experiments.benchmark import cli

sys.exit(cli.main(sys.argv[1:]))
