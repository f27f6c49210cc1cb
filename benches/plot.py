#!/usr/bin/env python3
"""Draws the list benchmark's scaling plot as an SVG, log-log: list time and
resident memory against the number of conversations.

    python3 benches/plot.py [CSV] [SVG]

CSV defaults to target/bench-results.csv (written by `cargo bench --bench
bench`), SVG to docs/scaling.svg. Python 3 standard library only.
"""

import csv
import html
import math
import sys

# Series: (CSV column, label, colour, dashed)
TIME_SERIES = [
    ("library_ms", "library (TIMConvGetConvList)", "#d62728", False),
    ("floor_ms", "floor: writer, fresh buffer", "#1f77b4", False),
    ("floor_warm_ms", "writer, warm reused buffer", "#1f77b4", True),
    ("serde_ms", "serde_json, fresh buffer", "#7f7f7f", False),
]
MEM_SERIES = [
    ("rss_created_bytes", "library, after creating", "#d62728", False),
    ("rss_listed_bytes", "library, after a list", "#ff7f0e", False),
    ("goal_bytes", "goal: 400 B per conversation", "#2ca02c", True),
]

W, H = 1040, 470
PANEL_W, PANEL_H = 380, 300
MARGIN_L, MARGIN_T = 80, 80


def read(path):
    info, rows = {}, []
    with open(path, newline="") as f:
        lines = []
        for line in f:
            if line.startswith("#"):
                key, _, value = line[1:].partition(":")
                info[key.strip()] = value.strip()
            else:
                lines.append(line)
    for r in csv.DictReader(lines):
        rows.append({k: float(v) for k, v in r.items()})
    rows.sort(key=lambda r: r["convs"])
    for r in rows:
        r["goal_bytes"] = 400.0 * r["convs"]
    return info, rows


def decades(lo, hi):
    return math.floor(math.log10(lo)), math.ceil(math.log10(hi))


def fmt_count(v):
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def fmt_time(ms):
    if ms >= 1000:
        return f"{ms / 1000:g} s"
    if ms >= 1:
        return f"{ms:g} ms"
    if ms >= 0.001:
        return f"{ms * 1000:g} µs"
    return f"{ms * 1e6:g} ns"


def fmt_bytes(b):
    for div, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if b >= div:
            return f"{b / div:g} {suffix}"
    return f"{b:g} B"


def log_ticks(lo, hi):
    """Grid values from 10**lo to 10**hi: (value, True) at each decade and
    (value, False) at 2..9 times it, up to the last decade."""
    for d in range(lo, hi + 1):
        for m in range(1, 10 if d < hi else 2):
            yield m * 10**d, m == 1


def panel(out, x0, y0, title, rows, series, y_label, y_fmt, y_unit_scale=1.0, y_decade_base=10):
    xs = [r["convs"] for r in rows]
    ys = [r[c] * y_unit_scale for r in rows for c, *_ in series if c in r and r[c] > 0]
    xlo, xhi = decades(min(xs), max(xs))
    ylo, yhi = decades(min(ys), max(ys))
    if xlo == xhi:
        xhi += 1
    if ylo == yhi:
        yhi += 1

    def px(x):
        return x0 + (math.log10(x) - xlo) / (xhi - xlo) * PANEL_W

    def py(y):
        return y0 + PANEL_H - (math.log10(y) - ylo) / (yhi - ylo) * PANEL_H

    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 - 14}" class="title">{html.escape(title)}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{PANEL_W}" height="{PANEL_H}" class="frame"/>')
    # Grid: decades (labelled) and 2..9 within them.
    for v, major in log_ticks(xlo, xhi):
        x = px(v)
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + PANEL_H}" class="{"grid" if major else "minor"}"/>')
        if major:
            out.append(f'<text x="{x:.1f}" y="{y0 + PANEL_H + 18}" class="tick" text-anchor="middle">{fmt_count(v)}</text>')
    for v, major in log_ticks(ylo, yhi):
        y = py(v)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" class="{"grid" if major else "minor"}"/>')
        if major:
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{y_fmt(v)}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 + PANEL_H + 38}" class="axis">conversations</text>')
    out.append(
        f'<text x="{x0 - 62}" y="{y0 + PANEL_H / 2}" class="axis" '
        f'transform="rotate(-90 {x0 - 62} {y0 + PANEL_H / 2})">{html.escape(y_label)}</text>'
    )
    # Series.
    for i, (col, label, colour, dashed) in enumerate(series):
        pts = [(px(r["convs"]), py(r[col] * y_unit_scale)) for r in rows if r.get(col, 0) > 0]
        if not pts:
            continue
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        if not dashed or col != "goal_bytes":
            for x, y in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
        ly = y0 + 16 + i * 18
        out.append(f'<line x1="{x0 + 10}" y1="{ly - 4}" x2="{x0 + 34}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{x0 + 40}" y="{ly}" class="legend">{html.escape(label)}</text>')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "target/bench-results.csv"
    dst = sys.argv[2] if len(sys.argv) > 2 else "docs/scaling.svg"
    info, rows = read(src)
    if not rows:
        sys.exit(f"{src}: no rows")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        'font-family="Helvetica, Arial, sans-serif">',
        "<style>"
        ".title{font-size:15px;font-weight:bold;text-anchor:middle}"
        ".axis{font-size:13px;text-anchor:middle}"
        ".tick{font-size:11px;fill:#333}"
        ".legend{font-size:11.5px}"
        ".note{font-size:11px;fill:#555}"
        ".frame{fill:none;stroke:#333;stroke-width:1}"
        ".grid{stroke:#ccc;stroke-width:1}"
        ".minor{stroke:#eee;stroke-width:1}"
        "</style>",
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{W / 2}" y="24" class="title" font-size="17">libImSDK.so: TIMConvGetConvList scaling (log-log)</text>',
    ]
    machine = ", ".join(f"{k}: {info[k]}" for k in ("cpu", "nproc", "build") if k in info)
    out.append(f'<text x="{W / 2}" y="44" class="note" text-anchor="middle">{html.escape(machine)}</text>')
    panel(out, MARGIN_L, MARGIN_T, "List time (median)", rows, TIME_SERIES, "time per list", fmt_time)
    panel(
        out,
        MARGIN_L + PANEL_W + 170,
        MARGIN_T,
        "Resident memory (growth over empty library)",
        rows,
        MEM_SERIES,
        "resident memory",
        fmt_bytes,
    )
    out.append(
        f'<text x="{W / 2}" y="{H - 12}" class="note" text-anchor="middle">'
        "Regenerate: scripts/bench.sh (cargo bench --bench bench, then benches/plot.py). "
        "Floor: hand-written writer over a sorted array of plain records.</text>"
    )
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
