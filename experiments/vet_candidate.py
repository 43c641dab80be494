"""Runs the end-to-end hint tests against a candidate network before it ships.

`python -m experiments.vet_candidate MODEL --temperature T --paper-threshold P [--out JSON]`

The tests of `tests/test_hint_flood.py` that color through `predict`
(the `shipped` fixture, named `test_colored_by_predict_*`) ask of the
shipped model what a user's drawings showed: the network's paper walls a
dab inside an open figure off the page, a page under a ground line stays
white without hints, a petal open at a gap fills.
The validation figures do not see these drawings. This copies MODEL's
network with the given decoding into a temporary folder, runs those tests
on it (`$COLORIZE_VET_MODEL`) and writes which passed and which failed.

Raises (one line, exit status 2): MODEL is not a trained model.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from colorize import errors, fileio, runs
from colorize.errors import ColorizeError, cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join("tests", "test_hint_flood.py")
SELECT = "colored_by_predict"  # the tests that color through the `shipped` fixture (the others use no network)


def vet(model_dir, temperature, paper_threshold):
    """Runs the hint tests on `model_dir`'s network at that decoding.

    Returns:
        dict: `passed` and `failed`, the tests' names, and the decoding.

    Raises:
        ColorizeError: not a trained model, or pytest could not run the tests.
    """
    runs.check_model(model_dir)
    if not runs.is_run(model_dir):  # a SavedModel: predict colors with a run's network and decoding
        raise ColorizeError(f"{model_dir}: a SavedModel; give the run (or packed weights) it was exported from")
    with tempfile.TemporaryDirectory(prefix="vet-") as tmp:
        for name in os.listdir(model_dir):
            if name in (runs.MODEL, runs.PACKED_WEIGHTS, runs.CONFIG):
                shutil.copy(os.path.join(model_dir, name), tmp)
        decoding = {**runs.read_decoding(model_dir), "temperature": temperature, "paper_threshold": paper_threshold}
        runs.write_decoding(tmp, decoding)
        report = os.path.join(tmp, "report.xml")
        env = {**os.environ, "COLORIZE_VET_MODEL": tmp}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TESTS, "-k", SELECT]
        command += ["--junitxml", report]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if not os.path.isfile(report):
            raise ColorizeError(f"{model_dir}: the tests did not run ({(done.stderr or done.stdout).strip()[-200:]})")
        cases = ET.parse(report).getroot().iter("testcase")
        outcome = {"passed": [], "failed": []}
        for case in cases:
            failed = case.find("failure") is not None or case.find("error") is not None
            if case.find("skipped") is None:
                outcome["failed" if failed else "passed"].append(case.get("name"))
    return dict(model=model_dir, temperature=temperature, paper_threshold=paper_threshold, **outcome)


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m experiments.vet_candidate", description=__doc__.splitlines()[0])
    p.add_argument("model", help="a trained run, its best/ or average/, or packed weights")
    p.add_argument("--temperature", type=float, required=True, help="the annealed mean's temperature to vet")
    p.add_argument("--paper-threshold", type=float, required=True, help="the region decisions' paper threshold to vet")
    p.add_argument("--out", default=None, help="write the outcome as JSON here")
    args = errors.parse_args(p, argv)
    result = vet(args.model, args.temperature, args.paper_threshold)
    for name in result["failed"]:
        print(f"failed: {name}")
    print(f"{len(result['passed'])} passed, {len(result['failed'])} failed")
    if args.out:
        fileio.write_atomic(args.out, json.dumps(result, indent=1) + "\n")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
