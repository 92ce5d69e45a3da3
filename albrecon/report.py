"""A chart of flow-log GB vs CUR GB per ALB per day, mismatches marked (PNG, or HTML with a table)."""

from __future__ import annotations

import html
import io
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

ALERTED = {"MISMATCH", "MISSING_CUR", "MISSING_FLOW_LOGS"}


def _figure(items: list[dict], title: str):
    by_alb: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_alb[item["load_balancer"]].append(item)
    albs = sorted(by_alb)
    fig, axes = plt.subplots(len(albs), 1, figsize=(11, 3.2 * len(albs)), squeeze=False, sharex=True)
    days = sorted({i["date"] for i in items})
    for axis, alb in zip(axes[:, 0], albs, strict=True):
        rows = {r["date"]: r for r in by_alb[alb]}
        xs = range(len(days))
        flow = [rows[d]["flow_log_gb"] if d in rows else 0 for d in days]
        cur = [rows[d]["cur_gb"] if d in rows else 0 for d in days]
        axis.bar([x - 0.2 for x in xs], flow, width=0.4, label="flow logs GB", color="#4878a8")
        axis.bar([x + 0.2 for x in xs], cur, width=0.4, label="CUR GB", color="#e0a030")
        for x, day in zip(xs, days, strict=True):
            row = rows.get(day)
            if row and row["status"] in ALERTED:
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
        axis.set_title(alb, loc="left", fontsize=11)
        axis.set_ylabel("GB")
        axis.grid(axis="y", alpha=0.3)
        axis.set_ylim(0, max([*flow, *cur, 0.001]) * 1.3)  # headroom for the marks and the legend
        axis.legend(loc="upper right", fontsize=8, ncol=2, frameon=False)
    axes[-1, 0].set_xticks(range(len(days)), days, rotation=45, ha="right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def write_report(items: list[dict], out: Path, title: str) -> None:
    if not items:
        raise ValueError("no stored results in that range: reconcile the days first (albrecon backfill)")
    fig = _figure(items, title)
    try:
        if out.suffix.lower() == ".png":
            fig.savefig(out, dpi=110)
            return
        if out.suffix.lower() not in (".html", ".htm"):
            raise ValueError("--out must end in .png or .html")
        svg = io.StringIO()
        fig.savefig(svg, format="svg")
    finally:
        plt.close(fig)
    rows = "\n".join(
        "<tr{cls}><td>{date}</td><td>{alb}</td><td>{flow:.4f}</td><td>{cur:.4f}</td><td>{delta:+.4f}</td>"
        "<td>{pct}</td><td>{status}</td></tr>".format(
            cls=' class="alert"' if i["status"] in ALERTED else "",
            date=html.escape(i["date"]),
            alb=html.escape(i["load_balancer"]),
            flow=i["flow_log_gb"],
            cur=i["cur_gb"],
            delta=i["delta_gb"],
            pct="-" if i.get("delta_pct") is None else f"{i['delta_pct']:+.2f} %",
            status=html.escape(i["status"]),
        )
        for i in sorted(items, key=lambda i: (i["date"], i["load_balancer"]))
    )
    out.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}} td:nth-child(2){{text-align:left}}
tr.alert{{background:#fdecea}}</style></head>
<body><h1>{html.escape(title)}</h1>
{svg.getvalue()}
<h2>Results</h2>
<table><tr><th>date</th><th>ALB</th><th>flow GB</th><th>CUR GB</th><th>delta GB</th>
<th>delta %</th><th>status</th></tr>
{rows}
</table></body></html>
"""
    )
