"""The results of a range of days as a picture: PNG, or a self-contained HTML page.

A few ALBs get bars (flow-log GB vs CUR GB per day, alerts marked). Many ALBs - an Organization
has hundreds - get a heatmap instead: one row per ALB, one column per day, coloured by delta %
with the tolerance band neutral, statuses marked with a letter, worst ALBs first. The HTML page
adds the ALBs with the largest cumulative $ impact over the range and every result as a table.
Nothing in the page loads from the network.
"""

from __future__ import annotations

import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba

ALERTED = {"MISMATCH", "MISSING_CUR", "MISSING_FLOW_LOGS"}
BARS_UP_TO = 6  # ALBs; more get the heatmap
# A letter per status in the heatmap (statuses not listed are run-level problems: "?").
STATUS_MARKS = {
    "MISMATCH": "X",
    "MISSING_CUR": "C",
    "MISSING_FLOW_LOGS": "F",
    "PENDING_CUR": "P",
    "NO_TRAFFIC": "·",
    "MATCH": "",
}
PROBLEM_MARK = "?"
NEUTRAL = "#eeeeee"  # inside the tolerance band
# MATCH by MinDeltaGB alone: a small ALB whose % is outside the band but whose GB are not
SMALL_MATCH = "#d9f0d3"
SMALL_MARK = "s"
NOT_RECONCILED = "#ffffff"  # no result stored for that ALB and day
NOT_RECONCILED_MARK = "-"
# rows of the chart: the ALBs with the largest $ impact; the others are in the page's table
HEATMAP_ROWS = 60
NOT_COMPARABLE = "#9e9e9e"  # PENDING_CUR and run-level problems: no delta to colour
# Measured below the bill (CUR > flow logs) in blues, measured above it in reds.
BELOW = ["#08519c", "#3182bd", "#6baed6", "#c6dbef"]
ABOVE = ["#fcbba1", "#fb6a4a", "#de2d26", "#a50f15"]


@dataclass
class AlbImpact:
    """One ALB over the range: what its deltas cost, at the rate its own bill shows."""

    arn: str
    label: str
    days: int
    alerted_days: int
    delta_gb: float
    impact_usd: float | None  # delta GB x the $/GB the CUR billed it (None: no rate known)
    statuses: Counter
    # billed on the days its flow logs measured nothing (MISSING_FLOW_LOGS): unmeasured money, not
    # a difference - kept apart from the impact
    unmeasured_usd: float = 0.0

    @property
    def over_billed_usd(self) -> float | None:
        """Billed - measured in $, the sign a bill reader reads (positive: over-billed)."""
        return None if self.impact_usd is None else -self.impact_usd


def _several_places(items: list[dict]) -> bool:
    """Results of more than one account or region: labels then say which."""
    return len({(i.get("account_id"), i.get("region")) for i in items}) > 1


def _label(item: dict, several_places: bool) -> str:
    if several_places:
        return f"{item['load_balancer']} ({item.get('account_id', '?')} {item.get('region', '?')})"
    return item["load_balancer"]


def _rate(items: list[dict]) -> float | None:
    """USD per GB the CUR billed over these results (None when it billed nothing)."""
    gb = sum(i.get("cur_gb") or 0 for i in items)
    cost = sum(i.get("cur_unblended_cost") or 0 for i in items)
    return cost / gb if gb > 0 and cost > 0 else None


def impacts(items: list[dict]) -> list[AlbImpact]:
    """Per ALB, largest |$ impact| first. The rate is the ALB's own billed $/GB over the range, or
    the range's average over every ALB when the CUR never billed it (MISSING_CUR every day)."""
    several_places = _several_places(items)
    by_alb: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_alb[item["load_balancer_arn"]].append(item)
    overall = _rate(items)
    result = []
    for arn, rows in by_alb.items():
        rate = _rate(rows) or overall
        measured = ("MATCH", "MISMATCH", "MISSING_CUR")  # a day without flow logs compares nothing
        delta = sum(r["delta_gb"] or 0 for r in rows if r["status"] in measured)
        unmeasured = sum(r.get("cur_unblended_cost") or 0 for r in rows if r["status"] == "MISSING_FLOW_LOGS")
        result.append(
            AlbImpact(
                arn=arn,
                label=_label(rows[0], several_places),
                days=len(rows),
                alerted_days=sum(1 for r in rows if r["status"] in ALERTED),
                delta_gb=delta,
                impact_usd=None if rate is None else delta * rate,
                statuses=Counter(r["status"] for r in rows),
                unmeasured_usd=unmeasured,
            )
        )
    return sorted(
        result, key=lambda a: (-abs(a.impact_usd or 0), -a.unmeasured_usd, -abs(a.delta_gb), a.label)
    )


# ---------------------------------------------------------------- few ALBs: bars
def _bars_figure(items: list[dict], title: str, days: list[str]):
    several_places = _several_places(items)
    by_alb: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_alb[item["load_balancer_arn"]].append(item)
    albs = sorted(by_alb, key=lambda arn: _label(by_alb[arn][0], several_places))
    fig, axes = plt.subplots(len(albs), 1, figsize=(11, 3.2 * len(albs)), squeeze=False, sharex=True)
    for axis, alb in zip(axes[:, 0], albs, strict=True):
        rows = {r["date"]: r for r in by_alb[alb]}
        xs = range(len(days))
        flow = [rows[d]["flow_log_gb"] if d in rows else 0 for d in days]
        cur = [rows[d]["cur_gb"] if d in rows else 0 for d in days]
        axis.bar([x - 0.2 for x in xs], flow, width=0.4, label="flow logs GB", color="#4878a8")
        axis.bar([x + 0.2 for x in xs], cur, width=0.4, label="CUR GB", color="#e0a030")
        for x, day in zip(xs, days, strict=True):
            row = rows.get(day)
            if row is None:  # no bars would read as a day of zero traffic: say what it is
                axis.axvspan(
                    x - 0.45, x + 0.45, facecolor="#f2f2f2", hatch="//", edgecolor="#bdbdbd", linewidth=0
                )
                axis.text(
                    x, 0, "not reconciled", rotation=90, ha="center", va="bottom", fontsize=8, color="#757575"
                )
                continue
            if row["status"] in ALERTED:
                top = max(row["flow_log_gb"], row["cur_gb"])
                axis.annotate(
                    row["status"].replace("_", " "),
                    (x, top),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    color="#c0392b",
                    fontsize=8,
                    fontweight="bold",
                )
                axis.plot([x], [top], marker="v", color="#c0392b")
        axis.set_title(_label(by_alb[alb][0], several_places), loc="left", fontsize=11)
        axis.set_ylabel("GB")
        axis.grid(axis="y", alpha=0.3)
        axis.set_ylim(0, max([*flow, *cur, 0.001]) * 1.3)  # headroom for the marks and the legend
        axis.legend(loc="upper right", fontsize=8, ncol=2, frameon=False)
    axes[-1, 0].set_xticks(range(len(days)), days, rotation=45, ha="right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- many ALBs: a heatmap
def _bands(tolerance_percent: float) -> list[float]:
    """Bin edges of delta %: the tolerance band in the middle, wider bands outwards."""
    outer = [e for e in (5.0, 10.0, 25.0) if e > tolerance_percent]
    edges = [-t for t in reversed(outer)] + [-tolerance_percent, tolerance_percent] + outer
    return [-1e9, *edges, 1e9]


def _colours(edge_count: int) -> list[str]:
    half = (edge_count - 2) // 2  # bins on each side of the neutral one
    return [*BELOW[len(BELOW) - half :], NEUTRAL, *ABOVE[:half]]


def _within_min_delta_only(row: dict, tolerance_percent: float) -> bool:
    pct = row.get("delta_pct")
    return row["status"] == "MATCH" and pct is not None and abs(pct) > tolerance_percent


def _cell_colour(row: dict, bands: list[float], colours: list[str], tolerance_percent: float = 1.0) -> str:
    status = row["status"]
    if _within_min_delta_only(row, tolerance_percent):
        return SMALL_MATCH  # a MATCH by MinDeltaGB, not by the tolerance band: say which
    if status in ("MATCH", "NO_TRAFFIC"):
        return NEUTRAL  # inside the tolerance: nothing to see
    if status == "MISSING_CUR":
        return colours[-1]  # measured, never billed: the far end of "measured above the bill"
    if status == "MISSING_FLOW_LOGS":
        return colours[0]
    if status != "MISMATCH" or row.get("delta_pct") is None:
        return NOT_COMPARABLE
    index = int(np.searchsorted(bands, row["delta_pct"], side="right")) - 1
    return colours[min(max(index, 0), len(colours) - 1)]


def _heatmap_figure(
    items: list[dict], ranked: list[AlbImpact], title: str, days: list[str], tolerance_percent: float
):
    rows_of = defaultdict(dict)
    for item in items:
        rows_of[item["load_balancer_arn"]][item["date"]] = item
    bands = _bands(tolerance_percent)
    colours = _colours(len(bands))
    shown = ranked[:HEATMAP_ROWS]
    image = np.ones((len(shown), len(days), 4))
    marks = []
    for y, alb in enumerate(shown):
        for x, day in enumerate(days):
            row = rows_of[alb.arn].get(day)
            if row is None:  # not reconciled: blank, and marked so it never reads as zero traffic
                image[y, x] = to_rgba(NOT_RECONCILED)
                marks.append((x, y, NOT_RECONCILED_MARK, "#616161"))
                continue
            image[y, x] = to_rgba(_cell_colour(row, bands, colours, tolerance_percent))
            mark = STATUS_MARKS.get(row["status"], PROBLEM_MARK)
            if _within_min_delta_only(row, tolerance_percent):
                mark = SMALL_MARK
            if mark:
                dark = float(np.dot(image[y, x, :3], (0.299, 0.587, 0.114))) < 0.5
                marks.append((x, y, mark, "white" if dark else "black"))
    height = max(4.5, 3.2 + 0.24 * len(shown))  # room for the legend lines above the chart
    width = min(40.0, max(11.0, 6.0 + 0.32 * len(days)))
    fig, axis = plt.subplots(figsize=(width, height))
    axis.imshow(image, aspect="auto", interpolation="nearest")
    font = 8
    for x, y, mark, colour in marks:
        axis.text(x, y, mark, ha="center", va="center", fontsize=font, color=colour)
    axis.set_yticks(range(len(shown)), [a.label for a in shown], fontsize=font)
    step = max(1, len(days) // 31)
    axis.set_xticks(range(0, len(days), step), days[::step], rotation=90, fontsize=8)
    axis.set_xticks(np.arange(-0.5, len(days)), minor=True)
    axis.set_yticks(np.arange(-0.5, len(shown)), minor=True)
    if len(shown) > 40:  # a tall chart: the days on top too
        axis.tick_params(labeltop=True)
        plt.setp(axis.get_xticklabels(minor=False), rotation=90)
    axis.grid(which="minor", color="white", linewidth=0.6)
    axis.tick_params(which="minor", length=0)
    end = max(40.0, bands[-2] * 1.6)  # the open-ended outer bins, drawn to a finite end
    scale = plt.cm.ScalarMappable(
        cmap=ListedColormap(colours), norm=BoundaryNorm([-end, *bands[1:-1], end], len(colours))
    )
    bar = fig.colorbar(scale, ax=axis, fraction=0.04, pad=0.02, aspect=30 if len(shown) > 30 else 15)
    bar.set_label("delta % (flow logs vs CUR)", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    rows = (
        f"the {len(shown)} of {len(ranked)} ALBs with the largest cumulative $ impact (every ALB is in the"
        " table below the chart in the HTML page, and in `albrecon history`)"
        if len(ranked) > len(shown)
        else "ALBs, largest cumulative $ impact first"
    )
    legend = [
        f"rows: {rows}",
        "X MISMATCH   C MISSING_CUR   F MISSING_FLOW_LOGS   P PENDING_CUR   ? run-level problem"
        "   · no traffic",
        f"grey: within ±{tolerance_percent:g} % (tolerance)   {SMALL_MARK} pale green: MATCH by MinDeltaGB"
        f" only (a small ALB, % outside the band)   {NOT_RECONCILED_MARK} white: not reconciled",
    ]
    axis.set_title(title + "\n" + "\n".join(legend), fontsize=9, loc="left")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- files
def write_report(
    items: list[dict],
    out: Path,
    title: str,
    days: list[str] | None = None,
    tolerance_percent: float = 1.0,
) -> None:
    if not items:
        raise ValueError("no stored results in that range: reconcile the days first (albrecon backfill)")
    suffix = out.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise ValueError("--out must end in .png or .html")
    days = days or sorted({i["date"] for i in items})
    albs = {i["load_balancer_arn"] for i in items}
    ranked = impacts(items)
    with plt.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, selectable
        fig = (
            _bars_figure(items, title, days)
            if len(albs) <= BARS_UP_TO
            else _heatmap_figure(items, ranked, title, days, tolerance_percent)
        )
        try:
            if suffix == ".png":
                fig.savefig(out, dpi=110)
                return
            svg = io.StringIO()
            fig.savefig(svg, format="svg")
        finally:
            plt.close(fig)
    out.write_text(_page(items, ranked, title, svg.getvalue(), len(albs), days))


def _status_counts(statuses: Counter) -> str:
    return ", ".join(f"{status} {count}" for status, count in statuses.most_common())


def _money(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:+,.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:+.4f}"  # cents hide small ALBs


def _page(
    items: list[dict], ranked: list[AlbImpact], title: str, svg: str, alb_count: int, days: list[str]
) -> str:
    counts = Counter(i["status"] for i in items)
    summary = ", ".join(f"{n} {html.escape(s)}" for s, n in counts.most_common())
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    several_places = _several_places(items)
    top = [a for a in ranked if a.alerted_days or abs(a.delta_gb) > 0][:25]
    impact_rows = "\n".join(
        f"<tr><td>{n}</td><td class='name'>{html.escape(a.label)}</td><td>{_money(a.over_billed_usd)}</td>"
        f"<td>{_money(a.unmeasured_usd) if a.unmeasured_usd else '-'}</td>"
        f"<td>{a.delta_gb:+.3f}</td><td>{a.alerted_days} of {a.days}</td>"
        f"<td class='name'>{html.escape(_status_counts(a.statuses))}</td></tr>"
        for n, a in enumerate(top, start=1)
    )
    rows = "\n".join(
        "<tr{cls}><td>{date}</td><td class='name'>{alb}</td><td>{flow:.4f}</td><td>{cur:.4f}</td>"
        "<td>{billed}</td><td>{delta:+.4f}</td><td>{pct}</td><td>{status}</td></tr>".format(
            cls=' class="alert"' if i["status"] in ALERTED else "",
            date=html.escape(i["date"]),
            alb=html.escape(_label(i, several_places)),
            flow=i["flow_log_gb"],
            cur=i["cur_gb"],
            billed="-" if i.get("cur_unblended_cost") is None else f"{i['cur_unblended_cost']:,.2f}",
            delta=i["delta_gb"],
            pct="-" if i.get("delta_pct") is None else f"{i['delta_pct']:+.2f} %",
            status=html.escape(i["status"]),
        )
        for i in sorted(items, key=lambda i: (i["date"], i["load_balancer"], i["load_balancer_arn"]))
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td.name{{text-align:left}} tr.alert{{background:#fdecea}} #chart svg{{max-width:100%;height:auto}}
p.note{{color:#555;max-width:60em}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p id="summary">{alb_count} ALBs, {len(days)} days: {summary}.</p>
<div id="chart">{svg}</div>
<h2>Largest cumulative $ impact</h2>
<p class="note">Over-billed $: billed minus measured over the days both were there (MATCH, MISMATCH,
MISSING_CUR), at the $/GB the CUR billed that ALB (the range's average when it billed none).
Positive: the bill charged more than the network sent; negative: less. Unmeasured billed $: what
was billed on days its flow logs recorded nothing (MISSING_FLOW_LOGS) - money nothing measured,
not a difference. Delta GB: measured minus billed.</p>
<table id="impact"><tr><th>#</th><th>ALB</th><th>over-billed $</th><th>unmeasured billed $</th>
<th>delta GB</th><th>alerted days</th><th>statuses</th></tr>
{impact_rows or '<tr><td colspan="7">no ALB differs from its bill</td></tr>'}
</table>
<details><summary>Every result ({len(items)})</summary>
<table id="results"><tr><th>date</th><th>ALB</th><th>flow GB</th><th>CUR GB</th><th>billed $</th>
<th>delta GB</th><th>delta %</th><th>status</th></tr>
{rows}
</table></details></body></html>
"""
