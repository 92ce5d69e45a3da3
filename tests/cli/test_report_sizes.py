"""The report at every size (issue 23): 5, 50, 200 and 1,000 ALBs give a picture a person can read -
labels of a readable size, the legend whole, a bounded height - and cells say what they are:
MATCH by MinDeltaGB apart from the tolerance band, a day not reconciled apart from no traffic."""

from __future__ import annotations

import random
import re
import struct

import pytest

from albrecon.report import HEATMAP_ROWS, write_report

DAYS = [f"2026-10-{d:02d}" for d in range(1, 8)]


def _results(albs: int, seed: int = 5) -> list[dict]:
    """Results as the store holds them: most ALBs billed as measured, one in twenty drifting, a few
    small ones whose large % stays under MinDeltaGB, and one day of one ALB not reconciled."""
    rng = random.Random(seed)
    items = []
    for n in range(albs):
        arn = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb-{n:04d}/{n:016x}"
        billed = rng.lognormvariate(0, 1.5) if n % 10 else 0.004  # every tenth: a few MB a day
        drifting = n % 20 == 1
        for i, day in enumerate(DAYS):
            if n == 2 and i == 3:
                continue  # not reconciled
            measured = billed * (1 + (0.04 * i if drifting else (0.3 if n % 10 == 0 else 0.0)))
            delta = measured - billed
            status = "MISMATCH" if drifting and i else "MATCH"
            items.append(
                {
                    "date": day,
                    "load_balancer": f"alb-{n:04d}",
                    "load_balancer_arn": arn,
                    "account_id": "123456789012",
                    "region": "us-east-1",
                    "flow_log_gb": measured,
                    "cur_gb": billed,
                    "delta_gb": delta,
                    "delta_pct": 100 * delta / billed,
                    "status": status,
                    "cur_unblended_cost": billed * 0.09,
                    "estimated_impact_usd": delta * 0.09,
                }
            )
    return items


def _png_size(path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


@pytest.mark.parametrize("albs", [5, 50, 200, 1000])
def test_the_report_reads_at_every_size(tmp_path, albs):
    items = _results(albs)
    png, page = tmp_path / "r.png", tmp_path / "r.html"
    write_report(items, png, f"{albs} ALBs")
    write_report(items, page, f"{albs} ALBs")
    width, height = _png_size(png)
    assert width <= 2000 and height <= 2200, (width, height)  # 60 rows at most: never 4,609 px tall
    text = page.read_text()
    svg = text[text.index("<svg") : text.index("</svg>")]
    sizes = [float(s) for s in re.findall(r"font-size: ?([0-9.]+)px", svg)]
    assert sizes and min(sizes) >= 8 * 0.99  # no 7-px labels (SVG text, points at 72 dpi)
    if albs > 6:
        shown = min(albs, HEATMAP_ROWS)
        labels = re.findall(r">alb-\d{4}<", svg)
        assert len(labels) == shown
        assert (
            ("the 60 of " + str(albs)) in svg
            if albs > HEATMAP_ROWS
            else "largest cumulative $ impact first" in svg
        )
        assert "MATCH by MinDeltaGB" in svg and "not reconciled" in svg  # the legend, whole
        assert ">alb-0001<" in svg  # the drifting ALB makes the chart
    else:
        assert "not reconciled" in svg  # alb-0002's day 4: hatched, said, not an empty gap
    # every result is in the page whatever the chart shows
    assert text.count("<tr") >= len(items)
