"""The page under load, guarded (`colorize.demo`, `colorize.app.uploads`):
uploads bounded in size, a refused upload deleted at once, results cleaned
on a schedule; a few clients with a few requests each all get their own
results, in order, in bounded memory. Loopback only, bounded counts and time."""

import os
import socket
import threading
import time

import cv2
import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from colorize.app import page as demo
from colorize.app import uploads
from colorize.inference import coloring


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sketch(height, width, seed):
    """A closed rectangle and a circle, placed by `seed`: (height, width, 3) uint8."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 255, np.uint8)
    x, y = int(rng.integers(4, width // 3)), int(rng.integers(4, height // 3))
    cv2.rectangle(img, (x, y), (x + width // 3, y + height // 2), (0, 0, 0), 2)
    cv2.circle(img, (width * 2 // 3, height // 2), min(height, width) // 5, (0, 0, 0), 2)
    return img


def files_under(folder):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


def test_discard_deletes_only_what_is_in_the_upload_folder(tmp_path):
    folder = tmp_path / "gradio"
    (folder / "abc123").mkdir(parents=True)
    refused = folder / "abc123" / "notes.png"
    refused.write_bytes(b"text")
    elsewhere = tmp_path / "mine.png"
    elsewhere.write_bytes(b"text")
    assert uploads.discard(str(refused), folder=str(folder))
    assert not refused.exists() and not (folder / "abc123").exists()  # its own folder went too
    assert not uploads.discard(str(elsewhere), folder=str(folder)) and elsewhere.exists()
    assert not uploads.discard(str(folder / ".." / "mine.png"), folder=str(folder)) and elsewhere.exists()
    assert not uploads.discard(None) and not uploads.discard(str(folder / "missing.png"), folder=str(folder))


def test_results_older_than_their_age_are_cleaned_on_a_schedule(tmp_path):
    for name, age in (("old", 120), ("new", 5)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "r.png").write_bytes(b"x")
        os.utime(tmp_path / name, (time.time() - age, time.time() - age))
    (tmp_path / "stray.txt").write_text("not a result folder")
    cleaner = uploads.ResultsCleaner(str(tmp_path), age_s=60, every_s=3600)
    assert cleaner.clean() == 1
    assert sorted(os.listdir(tmp_path)) == ["new", "stray.txt"]
    # The schedule: a cleaner running every 0.1 s removes a folder once it is 0.3 s old.
    cleaner = uploads.ResultsCleaner(str(tmp_path), age_s=0.3, every_s=0.1).start()
    try:
        deadline = time.time() + 10
        while (tmp_path / "new").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert not (tmp_path / "new").exists()
    finally:
        cleaner.stop()
    assert uploads.gradio_cache_schedule(1800, 300) == (300, 1800)


@pytest.fixture(scope="module")
def server(run_dir, tmp_path_factory):
    """The demo with its own upload folder and a 1 MB upload limit."""
    folder = tmp_path_factory.mktemp("gradio-uploads")
    saved = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    blocks, page = demo.serve(demo.find_models(run_dir), port=free_port(), block=False, max_upload_mb=1)
    try:
        yield blocks.local_url, run_dir, str(folder), page
    finally:
        blocks.close()
        page.cleaner.stop()
        if saved is None:
            del os.environ["GRADIO_TEMP_DIR"]
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved


def test_an_upload_over_the_limit_is_refused_as_it_streams_and_leaves_nothing(server, tmp_path):
    url, _, folder, _ = server
    before = files_under(folder)
    big = os.urandom(2 * 1024 * 1024)  # 2 MB over a 1 MB limit
    response = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": ("big.png", big)}, timeout=60)
    assert response.status_code == 413, response.text
    assert files_under(folder) == before
    small = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": ("small.png", b"x" * 1000)}, timeout=60)
    assert small.status_code == 200 and len(files_under(folder)) == len(before) + 1


def test_a_refused_upload_is_deleted_at_once_and_a_good_one_kept(server, tmp_path):
    url, run_dir, folder, _ = server
    client = Client(url, verbose=False)
    (tmp_path / "notes.png").write_bytes(b"hello, this is text")
    with pytest.raises(AppError, match="notes.png: not an image"):
        client.predict(
            handle_file(str(tmp_path / "notes.png")), None, False, 0.5, "auto", run_dir, api_name="/colorize"
        )
    assert not [p for p in files_under(folder) if p.endswith("notes.png")]
    Image.fromarray(sketch(40, 48, 0)).save(tmp_path / "good.png")
    client.predict(handle_file(str(tmp_path / "good.png")), None, False, 0.5, "auto", run_dir, api_name="/colorize")
    assert [p for p in files_under(folder) if p.endswith("good.png")]


def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) >> 10 for line in f if line.startswith("VmRSS:"))


class MemoryWatch:
    """The largest resident size of this process (the server's threads
    included), sampled every 50 ms while it runs."""

    def __init__(self):
        self.peak, self._stop = rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_a_few_clients_each_get_their_own_results_in_order_in_bounded_memory(server, tmp_path, monkeypatch):
    url, run_dir, _, page = server
    clients, per_client = 3, 3
    model = coloring.Model(run_dir, temperature=0.5)
    inputs, expected = {}, {}
    for c in range(clients):
        for r in range(per_client):
            height, width = 48 + 8 * r, 56 + 8 * c  # every request's own size and drawing
            image = sketch(height, width, seed=10 * c + r)
            path = tmp_path / f"c{c}r{r}.png"
            Image.fromarray(image).save(path)
            inputs[c, r] = str(path)
            expected[c, r] = coloring.colorize_array(image, model)["rgb"]
    page.colorize(inputs[0, 0], None, False, 0.5, "auto", run_dir)  # warm: the graph traced once
    served = []  # the sketches in the order the page colored them
    real = page.colorize

    def colorize(sketch_path, *args, **kwargs):
        served.append(os.path.basename(str(sketch_path)))
        return real(sketch_path, *args, **kwargs)

    monkeypatch.setattr(page, "colorize", colorize)
    start, before, clients_of = time.time(), rss_mb(), {}
    with MemoryWatch() as memory:
        jobs = {}
        for r in range(per_client):  # the clients in turn, each sending its next request before any result
            for c in range(clients):
                client = clients_of.setdefault(c, Client(url, verbose=False))
                jobs[c, r] = client.submit(
                    handle_file(inputs[c, r]), None, False, 0.5, "auto", run_dir, api_name="/colorize"
                )
                # (the client uploads in a thread of its own: wait until the
                # request is in the page's queue, so that "in order" is the
                # order it arrived in)
                deadline = time.time() + 60
                while jobs[c, r].status().code.name in ("STARTING", "JOINING_QUEUE") and time.time() < deadline:
                    time.sleep(0.02)
        for key, job in jobs.items():
            result, _, _ = job.result(timeout=300)
            got = np.asarray(Image.open(result).convert("RGB"))
            assert got.shape == expected[key].shape, key  # its own size
            np.testing.assert_array_equal(got, expected[key])  # its own result
    assert len(served) == clients * per_client  # every request answered, once
    for c in range(clients):  # each client's requests served in the order it sent them
        order = [served.index(f"c{c}r{r}.png") for r in range(per_client)]
        assert order == sorted(order), (c, served)
    elapsed = time.time() - start
    print(f"{len(served)} requests in {elapsed:.1f} s, memory {before} MB -> peak {memory.peak} MB")
    assert elapsed < 300 and memory.peak - before < 300


def test_the_page_lists_the_notes_of_a_run(server, tmp_path):
    _, run_dir, _, page = server
    Image.fromarray(np.full((40, 50, 3), 255, np.uint8)).save(tmp_path / "blank.png")
    png, ora, notes = page.colorize(str(tmp_path / "blank.png"), None, False, 0.5, "auto", run_dir)
    assert notes == ["blank page: no lines to color, returned as it was"]
    assert np.all(np.asarray(Image.open(png)) == 255) and ora.endswith(".ora")
    # Two colors dabbed in one closed shape: both named under the result.
    image = sketch(64, 80, seed=3)
    Image.fromarray(image).save(tmp_path / "shapes.png")
    layer = np.zeros((64, 80, 4), np.uint8)
    rng = np.random.default_rng(3)  # the rectangle `sketch` drew: (x, y) to (x + 26, y + 32)
    x, y = int(rng.integers(4, 80 // 3)), int(rng.integers(4, 64 // 3))
    layer[y + 15 : y + 18, x + 4 : x + 7] = (200, 30, 30, 255)  # inside the rectangle, left
    layer[y + 15 : y + 18, x + 19 : x + 22] = (30, 60, 200, 255)  # and right, another color
    _, _, notes = page.colorize(str(tmp_path / "shapes.png"), layer, False, 0.5, "auto", run_dir)
    assert any("share one region" in note for note in notes), notes
    markdown = demo.notes_markdown(["a <b> & c", "d"])
    assert markdown == "- a &lt;b&gt; &amp; c\n- d"
