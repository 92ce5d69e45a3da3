"""The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`, which
`.ci/run` installs), asserted on the laid-out page and on its pixels, offline."""

import io
import shutil
from datetime import date, timedelta

import numpy as np
import pytest

from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate, random_albs

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIRST = date(2026, 5, 10)
DAYS = 4
# The probe's flags for this machine's closed network (no background connections, no sandbox as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Fourteen ALBs over four days (a heatmap), one of them billed 30 % above its traffic from day 2."""
    data = tmp_path_factory.mktemp("browser")
    drifting = AlbSpec("checkout-edge", "abcdefabcdef0123", enis=2, weight=4.0, cur_factor_by_day=(1.0, 1.3))
    spec = DatasetSpec(
        day=FIRST, days=DAYS, albs=[drifting, *random_albs(13, DAYS, seed=5)], records_per_day=12_000
    )
    generate(spec, data)
    last = (FIRST + timedelta(days=DAYS - 1)).isoformat()
    assert main(["local", "--data", str(data), "--from", FIRST.isoformat(), "--to", last]) == 0
    page = data / "report.html"
    assert (
        main(["report", "--data", str(data), "--from", FIRST.isoformat(), "--to", last, "--out", str(page)])
        == 0
    )
    return page


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_the_heatmap_report_renders_offline_and_reads_as_designed(report, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert requested and all(url.startswith(("file:", "data:")) for url in requested), requested

    chart = page.locator("#chart svg")
    box = chart.bounding_box()
    assert box["width"] >= 600 and box["height"] >= 300  # laid out, not an empty or broken element
    heatmap = page.locator("#chart svg image").bounding_box()  # the cells: one raster inside the SVG
    assert heatmap["width"] >= 0.5 * box["width"] and heatmap["height"] > 100

    # The ALB labels are text on the page, worst first: the drifting ALB is the top row.
    labels = page.evaluate(
        """() => [...document.querySelectorAll('#chart svg text')]
               .filter(t => /-\\d{3}$|checkout-edge/.test(t.textContent.trim()))
               .map(t => [t.textContent.trim(), t.getBoundingClientRect().top])"""
    )
    assert len(labels) == 14
    assert min(labels, key=lambda pair: pair[1])[0] == "checkout-edge"
    first_row = page.locator("#impact tr").nth(1).locator("td").nth(1).inner_text()
    assert first_row == "checkout-edge"

    # Every result is in the page, folded away until asked for.
    results = page.locator("#results")
    assert not results.is_visible()
    page.locator("details summary").click()
    assert results.is_visible() and results.locator("tr").count() == 14 * DAYS + 1

    # What the eye gets: mostly neutral cells, and red cells where the bill is above the traffic.
    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(page.locator("#chart").screenshot())).convert("RGB")).astype(int)
    r, g, b = shot[..., 0], shot[..., 1], shot[..., 2]
    neutral = int(((r == 0xEE) & (g == 0xEE) & (b == 0xEE)).sum())
    blue = int(((b > 120) & (r < 90) & (g < 170)).sum())  # the bill above the flow logs
    assert neutral > 0.1 * r.size
    assert blue > 200, "the MISMATCH cells of checkout-edge (billed 30 % above) are not drawn"
