"""Measures how a build scales with Beam workers: time, CPU and peak memory per process.

    python -m experiments.build_scaling --images 600 --workers 0 1 2
    python -m experiments.build_scaling --folder DIR --workers 0 1 2

Each build runs in a fresh process (`colorize.data.build.build`, or the
synthetic config with `--images` sources) into a temporary data folder,
while this process samples, every 0.3 s, the peak resident memory (VmHWM)
and the CPU time of that process and of every process it starts (the Beam
workers). Workers 0 means the build without Beam. Prints one Markdown row
per build: files, wall seconds, files/s, CPU seconds of all processes, and
peak RSS of the main process and of each worker.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

_CLOCK = os.sysconf("SC_CLK_TCK")

_SYNTHETIC = """
import tensorflow_datasets as tfds
from colorize.data import build
from dataset_builder.sketch_colorization.sketch_colorization_dataset_builder import Builder, BuilderConfig
config = BuilderConfig(name="synthetic_{n}", source="synthetic", num_images={n})
Builder(config=config, data_dir={data_dir!r}).download_and_prepare(
    download_config=tfds.download.DownloadConfig(beam_options=build.pipeline_options({workers})))
"""

_FOLDER = """
from colorize.data import build
build.build("folder", data_dir={data_dir!r}, manual_dir={folder!r}, workers={workers})
"""


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _sample(pid):
    """(peak RSS in MB, CPU seconds, command) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            peak = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline") as f:
            command = f.read().replace("\0", " ")
    except OSError:
        return None
    if not peak:
        return None
    return int(peak.group(1)) >> 10, (int(fields[11]) + int(fields[12])) / _CLOCK, command


def measure(code):
    """Runs `python -c code`, sampling its process tree.

    Args:
      code: the build, as Python source.

    Returns:
      (wall seconds, total CPU seconds, {pid: (peak RSS MB, CPU s, command)}, stdout).
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start, before = time.monotonic(), os.times()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    out = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout))
    reader.start()
    seen = {}
    while proc.poll() is None:
        todo = [proc.pid]
        while todo:
            pid = todo.pop()
            todo += _children(pid)
            sample = _sample(pid)
            if sample and os.path.basename(sample[2].split(" ", 1)[0]).startswith("python"):  # not /bin/sh
                seen[pid] = sample
        time.sleep(0.3)
    reader.join()
    wall, after = time.monotonic() - start, os.times()
    if proc.returncode:
        raise SystemExit(f"error: the build failed (status {proc.returncode})")
    cpu = after.children_user + after.children_system - before.children_user - before.children_system
    return wall, cpu, seen, "".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=int, help="synthetic sources (seeds 0..N-1)")
    source.add_argument("--folder", help="a folder of images (the folder config)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="0: without Beam")
    args = parser.parse_args(argv)
    print("| input | workers | files | wall s | files/s | CPU s: all (main; workers) | peak RSS MB: main; workers |")
    print("|---|---|---|---|---|---|---|")
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as data_dir:
            beam_workers = workers or None
            if args.images:
                code = _SYNTHETIC.format(n=args.images, data_dir=data_dir, workers=beam_workers)
                name, files = f"synthetic, {args.images} images", args.images
            else:
                code = _FOLDER.format(data_dir=data_dir, folder=args.folder, workers=beam_workers)
                name = os.path.basename(os.path.normpath(args.folder))
                files = None
            wall, cpu, seen, out = measure(code)
        if files is None:
            files = sum(int(n) for n in re.findall(r": read (\d+) files", out))
        main = [(rss, seconds) for rss, seconds, command in seen.values() if "sdk_worker_main" not in command]
        workers_seen = [(rss, seconds) for rss, seconds, command in seen.values() if "sdk_worker_main" in command]
        worker_cpu = ", ".join(f"{seconds:.1f}" for _, seconds in workers_seen) or "-"
        worker_rss = ", ".join(str(rss) for rss, _ in workers_seen) or "-"
        print(
            f"| {name} | {workers or 'no Beam'} | {files} | {wall:.1f} | {files / wall:.1f} | "
            f"{cpu:.1f} ({max(s for _, s in main):.1f}; {worker_cpu}) | {max(r for r, _ in main)}; {worker_rss} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
