"""The web demo in a real browser: Debian's chromium driven by Playwright.

Upload a sketch, paint one hint inside a closed shape, color it, and check
the result (the sketch's size, the hint's hue in that shape and not in the
other one), the layered download, that a bad upload shows an error, leaves
the sketch box empty and a good one after it still works, and that a color
picked for the palette joins it and recolors. A screenshot of the page is saved under the
test's tmp_path, and to `experiments/results/demo/screenshot.png` when the
environment sets DEMO_SCREENSHOT (DEMO_MODEL=PATH serves that model instead
of the tiny test run, for a screenshot worth showing).
"""

import colorsys
import io
import os
import shutil
import time
import xml.etree.ElementTree as ET
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from colorize.app import page as app_page

import helpers
from helpers import REPO

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)", allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402 (only once the browser is known to exist)
from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow  # a browser, a server and full-size sketches

HINT = (50, 112, 204)  # one of the editor's default swatches (a blue)
SCREENSHOT = os.path.join(REPO, "experiments", "results", "demo", "screenshot.png")

# JavaScript: the time from the click on "Color it" to the result being shown
# (the result's status tracker shown, then hidden, and its image loaded).
WATCH_RUN = """() => {
  const tracker = document.querySelector('#result [data-testid=status-tracker]');
  const run = document.querySelector('#run');
  let start = null, seen = false;
  run.addEventListener('click', () => { start = performance.now(); }, {once: true, capture: true});
  window.__colored = new Promise(resolve => {
    const observer = new MutationObserver(() => {
      if (!tracker.classList.contains('hide')) { seen = true; return; }
      if (!seen) return;
      observer.disconnect();
      const img = document.querySelector('#result img');
      const done = () => resolve(performance.now() - start);
      if (!img || img.complete) done(); else img.addEventListener('load', done, {once: true});
    });
    observer.observe(tracker, {attributes: true, attributeFilter: ['class']});
  });
}"""


def shapes_sketch(height=384, width=512):
    """A rectangle around the center (where the hint is painted) and a
    circle in a corner, both closed."""
    img = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(img, (width // 5, height // 5), (width * 4 // 5, height * 4 // 5), (0, 0, 0), 3)
    cv2.circle(img, (width // 10, height // 10), min(height, width) // 14, (0, 0, 0), 2)
    return img


@pytest.fixture(scope="module")
def url(request):
    """The demo on a free port: the tiny run, or the model DEMO_MODEL names
    (for a screenshot with a trained model)."""
    model = os.environ.get("DEMO_MODEL") or request.getfixturevalue("run_dir")
    blocks, _ = app_page.serve(app_page.find_models(model), port=helpers.free_port(), block=False)
    yield blocks.local_url
    blocks.close()


@pytest.fixture()
def page(url):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(120_000)
        track_requests(page)
        page.goto(url)
        page.wait_for_selector("#sketch-file input[type=file]", state="attached")
        yield page
        browser.close()


def track_requests(page):
    """Counts the page's requests in flight to the server (the event stream,
    open all the time, aside) and when the last one ended, for `settle`."""
    state = page.__dict__.setdefault("_requests", {"open": set(), "last": 0.0})

    def opened(request):
        if "/queue/data" not in request.url and "/heartbeat" not in request.url:
            state["open"].add(request)

    def ended(request):
        state["open"].discard(request)
        state["last"] = time.monotonic()

    page.on("request", opened)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)


def settle(page, quiet_s=1.5, timeout_s=60.0):
    """Waits until no request is in flight and none ended for `quiet_s`: the
    editor has loaded its background and sent its layers."""
    state, deadline = page.__dict__["_requests"], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not state["open"] and time.monotonic() - state["last"] >= quiet_s:
            return
        page.wait_for_timeout(250)


def result_src(page):
    return page.get_attribute("#result img", "src") if page.query_selector("#result img") else None


def upload(page, path):
    """Uploads a file (in place of the one there) and waits for its result (a new result image)."""
    before = result_src(page)
    set_file(page, path)
    page.wait_for_function(
        "before => { const img = document.querySelector('#result img'); return img && img.src !== before; }",
        arg=before,
    )
    settle(page)


def set_file(page, path):
    clear = page.query_selector("#sketch-file button[aria-label=Clear]")
    if clear:
        clear.click()
    page.set_input_files("#sketch-file input[type=file]", str(path))


def hint_pixels(page, box):
    """How many pixels of the editor's canvas (its page box) show the hint's color."""
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    return int((np.abs(np.asarray(shot, int) - HINT).max(axis=-1) <= 12).sum())


def page_errors(page):
    """The error toasts and the notes the page shows, one line (for a failure's message)."""
    toasts = [t.inner_text().replace("\n", " ") for t in page.query_selector_all("[data-testid=toast-body]")]
    notes = page.inner_text("#notes").replace("\n", " ")
    return f"toasts: {toasts or 'none'}; notes: {notes or 'none'}"


def paint_hint(page, tmp_path):
    """Picks the blue swatch, drags the brush across the editor's center and
    waits for the recolored result.

    The stroke must show on the canvas, and the page must send it: Gradio's
    editor can drop a stroke made while it still settles (a busy browser),
    so a stroke that does not show within 30 s, or whose result does not come
    within 60 s, is made once more, a little lower (and said)."""
    before = result_src(page)
    page.click("#hint-editor button[aria-label=Color]")
    page.click(f"#hint-editor button.color[style*='rgb({HINT[0]}, {HINT[1]}, {HINT[2]})']")
    page.click("#hint-editor button[aria-label=Brush]")
    box = page.locator("#hint-editor canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for attempt in (1, 2):
        settle(page)
        blue_before = hint_pixels(page, box)
        page.mouse.move(x - 40, y + 20 * (attempt - 1))
        page.mouse.down()
        page.mouse.move(x + 40, y + 10 + 20 * (attempt - 1), steps=5)
        page.mouse.up()
        for _ in range(60):
            if hint_pixels(page, box) - blue_before >= 100:  # the stroke: about 80 by 8 pixels
                break
            page.wait_for_timeout(500)
        else:
            print(f"stroke {attempt} did not show on the editor's canvas within 30 s")
            continue
        wait_s = 60 if attempt == 1 else 120
        try:
            page.wait_for_function(
                "before => document.querySelector('#result img').src !== before", arg=before, timeout=wait_s * 1000
            )
            return
        except PlaywrightTimeout:
            print(f"stroke {attempt} showed, but no new result came within {wait_s} s ({page_errors(page)})")
    page.screenshot(path=str(tmp_path / "no-result.png"), full_page=True)
    pytest.fail(f"two strokes gave no new result ({page_errors(page)}); the page: {tmp_path / 'no-result.png'}")


def click_run(page):
    """Clicks "Color it", waits for the result; returns the time it took, s."""
    page.evaluate(WATCH_RUN)
    page.click("#run")
    return page.evaluate("() => window.__colored") / 1000.0


def fetch(page, selector_or_url):
    if selector_or_url.startswith("http"):
        return page.request.get(selector_or_url).body()
    return page.request.get(page.get_attribute(selector_or_url, "href")).body()


def hue_deg(rgb):
    return 360.0 * colorsys.rgb_to_hsv(*(np.asarray(rgb, float) / 255.0))[0]


def test_paint_a_hint_and_download(page, tmp_path):
    sketch = shapes_sketch()
    Image.fromarray(sketch).save(tmp_path / "shapes.png")
    upload(page, tmp_path / "shapes.png")
    paint_hint(page, tmp_path)
    seconds = click_run(page)
    print(f"click to result: {seconds:.2f} s")

    result = np.asarray(Image.open(io.BytesIO(fetch(page, result_src(page)))).convert("RGB"))
    assert result.shape == sketch.shape
    # Inside the rectangle (away from its lines): the hint's color, exactly (the region fill).
    inside = result[384 // 5 + 8 : 384 * 4 // 5 - 8, 512 // 5 + 8 : 512 * 4 // 5 - 8].reshape(-1, 3)
    median = np.median(inside, axis=0)
    assert abs(hue_deg(median) - hue_deg(HINT)) < 3.0
    assert np.abs(median - HINT).max() <= 2
    assert (np.abs(inside.astype(int) - HINT).max(axis=1) <= 2).mean() > 0.99
    # Inside the circle, which got no hint: not the hint's color.
    circle = result[38 - 10 : 38 + 10, 51 - 10 : 51 + 10].reshape(-1, 3)
    assert (np.abs(circle.astype(int) - HINT).max(axis=1) > 30).all()

    png = np.asarray(Image.open(io.BytesIO(fetch(page, "#png-file a[href]"))).convert("RGB"))
    np.testing.assert_array_equal(png, result)
    ora = fetch(page, "#ora-file a[href]")
    with zipfile.ZipFile(io.BytesIO(ora)) as z:
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"image/openraster"
        stack = ET.fromstring(z.read("stack.xml"))
        assert [layer.get("name") for layer in stack.iter("layer")] == ["lines", "color"]
    layers = helpers.read_ora(io.BytesIO(ora))
    assert layers["color"].shape == layers["lines"].shape == (*sketch.shape[:2], 4)
    assert np.abs(layers["mergedimage"][..., :3].astype(int) - result).max() <= 1

    page.screenshot(path=str(tmp_path / "screenshot.png"), full_page=True)
    if os.environ.get("DEMO_SCREENSHOT"):
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        shutil.copyfile(tmp_path / "screenshot.png", SCREENSHOT)
    assert Image.open(tmp_path / "screenshot.png").size[0] == 1400


def test_bad_upload_shows_an_error_and_a_good_one_still_works(page, tmp_path):
    (tmp_path / "notes.png").write_text("hello, this is not an image")
    set_file(page, tmp_path / "notes.png")
    page.get_by_text("notes.png: not an image (unrecognized format)").wait_for()
    # The refused file leaves the sketch box (the server dropped its copy):
    # "Color it" then has nothing stale to color ("notes.png: no such file").
    page.wait_for_function("() => !document.querySelector('#sketch-file').innerText.includes('notes.png')")
    page.click("#run")
    page.get_by_text("no sketch: upload a sketch first").wait_for()
    assert "no such file" not in page_errors(page)
    Image.fromarray(shapes_sketch(200, 300)).save(tmp_path / "good.png")
    upload(page, tmp_path / "good.png")
    result = Image.open(io.BytesIO(fetch(page, result_src(page))))
    assert result.size == (300, 200)


def test_a_picked_color_joins_the_palette_and_recolors(page, tmp_path):
    Image.fromarray(shapes_sketch(200, 300)).save(tmp_path / "s.png")
    upload(page, tmp_path / "s.png")
    palette = "#palette textarea, #palette input"
    for color, expected in ((app_page.PICKER_START, app_page.PICKER_START), ("#2050c0", "#e03020, #2050c0")):
        if color != app_page.PICKER_START:  # typed into the open picker's own field, as a user can
            page.click("#palette-pick button.dialog-button")
            page.locator("#palette-pick input[type=text]").fill(color)
            assert page.locator("#palette-pick .color-gradient").count() == 1  # still open
        before = result_src(page)
        page.click("#palette-add")  # once: the press that closes the picker must not move the button
        page.wait_for_function(
            "([selector, expected]) => document.querySelector(selector).value === expected", arg=[palette, expected]
        )
        page.wait_for_function("before => document.querySelector('#result img').src !== before", arg=before)
