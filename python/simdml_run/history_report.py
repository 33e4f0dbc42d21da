"""The trend page of `simdml history report`: one HTML file with its charts drawn inline as SVG.

The page opens with what changed recently (the change points of the newest runs, slow-downs
first), then one chart per group of series (those that changed first) (one benchmark across the kernels that ran it, at one
thread count), each with a drill-down to its series. A chart shows each run's median, the spread
of its repetitions (a band from the fastest to the slowest), the change points as vertical lines
labelled with their first bad commit, and, for a GEMM shape, the time the FMA peak measured in the
same run would allow. SVG drawn here, not by matplotlib: a history of 1,000 runs of 700 series
becomes one page in seconds, with nothing to load but the file.
"""

import html
import math
import re
import statistics

WIDTH, HEIGHT, PAD, LEGEND = 760, 190, 40, 130
GEMM_SHAPE = re.compile(r"^gemm/[^/]+/(\d+)x(\d+)x(\d+)[A-Z]*/threads:(\d+)")
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def group_of(name):
    """gemm/simd-avx2/256x256x256NN/threads:1/real_time -> gemm/*/256x256x256NN/threads:1."""
    parts = name.split("/")
    if len(parts) >= 3:
        parts[1] = "*"
    return "/".join(p for p in parts if p != "real_time")


def peak_seconds(name, peaks, default_isa, index_of):
    """{run index: seconds} this GEMM shape would take at the FMA peak measured in each run, for
    the series' target (OpenBLAS and the others: the machine's), or None for other series."""
    m = GEMM_SHAPE.match(name)
    if not m:
        return None
    mm, nn, kk, threads = (int(x) for x in m.groups())
    kernel = name.split("/")[1]
    isa = kernel.split("-", 1)[1] if kernel.startswith("simd-") else default_isa
    series = peaks.get((isa, threads))
    if not series:
        return None
    return {index_of[r]: 2.0 * mm * nn * kk / flops for r, flops in series.items() if r in index_of and flops > 0}


def svg_chart(title, lines, runs, change_marks, peak=None):
    """lines: [(label, {run index: (median, low, high)})]; runs: [(id, commit, time)] in order."""
    values = [v for _, points in lines for p in points.values() for v in p]
    if peak:
        values += list(peak.values())
    if not values:
        return ""
    low, high = min(values), max(values)
    if high <= low:
        high = low * 1.01 + 1e-12
    # Kernels a decade apart share a chart on a log scale, where equal ratios look equal.
    scale = math.log if high > 3 * low and low > 0 else (lambda v: v)
    n = max(len(runs) - 1, 1)
    x = lambda i: PAD + (WIDTH - PAD - LEGEND) * i / n  # noqa: E731
    y = lambda v: HEIGHT - PAD + (PAD - (HEIGHT - PAD)) * (scale(v) - scale(low)) / (scale(high) - scale(low))  # noqa: E731
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
           f'aria-label="{html.escape(title)}">',
           f'<rect x="{PAD}" y="{PAD // 2}" width="{WIDTH - PAD - LEGEND}" height="{HEIGHT - 1.5 * PAD}" '
           'fill="#fafafa" stroke="#ccc"/>',
           f'<text x="{PAD}" y="{PAD // 2 - 4}" font-size="11">{html.escape(title)}</text>',
           f'<text x="2" y="{y(high) + 4:.1f}" font-size="9">{format_seconds(high)}</text>',
           f'<text x="2" y="{y(low) + 4:.1f}" font-size="9">{format_seconds(low)}</text>',
           f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="9">{html.escape(runs[0][1])}</text>',
           f'<text x="{x(n):.1f}" y="{HEIGHT - 4}" font-size="9" text-anchor="end">{html.escape(runs[-1][1])}</text>']
    for at, label in change_marks:
        out.append(f'<line x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{PAD // 2}" y2="{HEIGHT - PAD}" '
                   'stroke="#d62728" stroke-width="2" stroke-dasharray="4,2"/>')
        out.append(f'<text x="{x(at) + 2:.1f}" y="{HEIGHT - PAD + 12}" font-size="9" fill="#d62728">'
                   f'{html.escape(label)}</text>')
    if peak:
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in sorted(peak.items()))
        out.append(f'<polyline class="peak" points="{pts}" fill="none" stroke="#888" stroke-dasharray="6,3"/>')
    for k, (label, points) in enumerate(lines):
        color = COLORS[k % len(COLORS)]
        ordered = sorted(points.items())
        band = [f"{x(i):.1f},{y(p[2]):.1f}" for i, p in ordered] + \
               [f"{x(i):.1f},{y(p[1]):.1f}" for i, p in reversed(ordered)]
        out.append(f'<polygon class="spread" points="{" ".join(band)}" fill="{color}" fill-opacity="0.15"/>')
        median = " ".join(f"{x(i):.1f},{y(p[0]):.1f}" for i, p in ordered)
        out.append(f'<polyline class="median" points="{median}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        out.append(f'<text x="{WIDTH - LEGEND + 6}" y="{PAD + 11 * k}" font-size="9" fill="{color}">'
                   f'{html.escape(label)}</text>')
    if peak:
        out.append(f'<text x="{WIDTH - LEGEND + 6}" y="{PAD + 11 * len(lines)}" font-size="9" fill="#888">'
                   'at the FMA peak</text>')
    out.append("</svg>")
    return "\n".join(out)


def format_seconds(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s:.3g} s"


def series_points(per_run, index_of):
    """{run index: (median, fastest, slowest)} of one series."""
    return {index_of[r]: (statistics.median(v), min(v), max(v)) for r, v in per_run.items() if r in index_of}


def page(fingerprint, runs, timed, findings, peaks, default_isa):
    """The page for one machine: runs [(id, commit, time)] in order, timed {series: {run id:
    [seconds]}}, findings as `check` reports them, peaks {(isa, threads): {run id: FLOP/s}}."""
    index_of = {run_id: i for i, (run_id, _, _) in enumerate(runs)}
    groups = {}
    for name in sorted(timed):
        groups.setdefault(group_of(name), []).append(name)
    recent = sorted(findings, key=lambda f: (not f["flagged"], -(f["change_percent"] or 0)))[:40]
    body = [f"<h1>simdml history</h1><p>{html.escape(fingerprint)}: {len(runs)} runs, "
            f"{len(timed)} timed series in {len(groups)} groups.</p>",
            "<h2>What changed recently</h2>"]
    if recent:
        body.append("<table><tr><th>series</th><th>change</th><th>last good</th><th>first bad</th>"
                    "<th>evidence</th></tr>")
        for f in recent:
            size = "" if f["change_percent"] is None else f"{f['change_percent']:+.1f} %"
            if f.get("interval_percent"):
                size += " [{:+.1f}, {:+.1f}]".format(*f["interval_percent"])
            cls = ' class="regression"' if f["flagged"] else ""
            body.append(f"<tr{cls}><td>{html.escape(f['series'])}</td><td>{html.escape(size)}</td>"
                        f"<td>{html.escape(f['last_good'])}</td><td>{html.escape(f['first_bad'])}</td>"
                        f"<td>{html.escape(f['evidence'])}</td></tr>")
        body.append("</table>")
    else:
        body.append("<p>No change point in the runs shown.</p>")
    body.append("<h2>Trends</h2>")
    marks_of = {name: [] for name in timed}
    for f in findings:
        if f["kind"] == "time" and f["first_bad_run"] in index_of:
            marks_of[f["series"]].append((index_of[f["first_bad_run"]], f["first_bad"]))
    # Groups whose series changed come first, so the page shows what moved before what did not.
    changed = {group_of(f["series"]) for f in findings if f["kind"] == "time"}
    for group, names in sorted(groups.items(), key=lambda g: (g[0] not in changed, g[0])):
        lines = [(name.split("/")[1] if name.count("/") >= 2 else name, series_points(timed[name], index_of))
                 for name in names]
        marks = sorted({m for name in names for m in marks_of[name]})
        # A group's bound is its best kernel's: the peak of the machine's own target.
        best = next((n for n in names if f"/simd-{default_isa}/" in n), names[0])
        peak = peak_seconds(best, peaks, default_isa, index_of)
        body.append(f'<section class="group"><h3>{html.escape(group)}</h3>')
        body.append(svg_chart(group, lines, runs, marks, peak))
        if len(names) > 1:
            body.append(f"<details><summary>{len(names)} series</summary>")
            for name, (label, points) in zip(names, lines):
                body.append(svg_chart(name, [(label, points)], runs, marks_of[name],
                                      peak_seconds(name, peaks, default_isa, index_of)))
            body.append("</details>")
        body.append("</section>")
    commits = " ".join(f"{i}:{html.escape(c)}" for i, (_, c, _) in enumerate(runs))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>simdml history</title>"
            "<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;font-size:12px}"
            "td,th{border:1px solid #ddd;padding:2px 6px}.regression{background:#fdd}"
            "section{margin:1em 0}</style></head><body>"
            + "\n".join(body) + f"<p class=\"commits\">runs (index:commit): {commits}</p></body></html>\n")
