"""The convergence scatter as an SVG drawn here: each region's level in the start year
against its change, Chile's level and change as reference lines, quadrant names, and a
label per region that overlaps no other label, no point and no quadrant name.

Why not Streamlit's charts: Vega-Lite (``st.altair_chart``) has no label placement that
avoids collisions and draws to a canvas, so neither the placement nor a test of it is
possible there; matplotlib would be a large dependency for one chart and its usual label
helper (adjustText) moves labels apart iteratively without a guarantee. Here labels are
placed greedily with the font's own metrics (Pillow reads DejaVu Sans, the font the SVG
names): each label takes the first of a growing ring of positions around its point that
collides with nothing placed before it, with a leader line when it sits away from its point.
The result is plain SVG: ``<text>`` a browser can measure, a ``<title>`` per point for a
tooltip, every text escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

__all__ = ["Box", "ScatterText", "convergence_svg", "place_labels", "text_width"]

FONT = "DejaVu Sans"
FONT_SIZE = 12
_WIDTH, _HEIGHT = 820, 500
_LEFT, _RIGHT, _TOP, _BOTTOM = 78, 24, 28, 58
#: short names of Chile's regions for labels (the full name is in each point's tooltip)
SHORT_NAMES = {
    "06": "O'Higgins",
    "11": "Aysén",
    "12": "Magallanes",
    "13": "Metropolitana",
}
_COLORS = {
    "high_growing": "#2166ac",
    "high_declining": "#b2182b",
    "low_growing": "#4d9221",
    "low_declining": "#d6604d",
}


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels (x to the right, y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        """True when the two rectangles, each grown by ``pad``, share any area."""
        return not (
            self.x1 + pad <= other.x0
            or other.x1 + pad <= self.x0
            or self.y1 + pad <= other.y0
            or other.y1 + pad <= self.y0
        )

    def inside(self, other: Box) -> bool:
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


@cache
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:  # the font is not installed: estimate (DejaVu Sans is a wide font)
        return None


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """Width in pixels of ``text`` in DejaVu Sans at ``size`` px.

    Examples
    --------
    >>> 50 < text_width("Los Lagos") < 70
    True
    """
    font = _font(size)
    if font is None:
        return 0.68 * size * len(text)
    return float(font.getlength(text))


def place_labels(
    points: list[tuple[float, float]],
    widths: list[float],
    height: float,
    frame: Box,
    obstacles: list[Box],
    radius: float = 5.0,
) -> list[tuple[Box, bool]]:
    """Place one label per point so that no two labels, and no label and a point or an
    obstacle, overlap; labels stay inside ``frame``.

    Parameters
    ----------
    points : list of (x, y)
        Point centres in pixels.
    widths : list of float
        Each label's width; every label is ``height`` tall.
    frame : Box
        Where labels may go.
    obstacles : list of Box
        Areas labels must avoid (other text already drawn).
    radius : float
        Points' radius; no label covers a point.

    Returns
    -------
    list of (Box, bool)
        Each label's box, and whether it needs a leader line (it sits away from its point).
        Where no free place exists within 160 px, the least crowded one is taken.

    Examples
    --------
    >>> frame = Box(0, 0, 200, 100)
    >>> boxes = place_labels([(50, 50), (52, 50)], [40, 40], 12, frame, [])
    >>> boxes[0][0].overlaps(boxes[1][0])
    False
    """
    dots = [Box(x - radius, y - radius, x + radius, y + radius) for x, y in points]
    placed: list[Box] = []
    out: list[tuple[Box, bool] | None] = [None] * len(points)
    # the most crowded points first: they have the fewest free places
    crowd = [sum(math.hypot(x - u, y - v) < 60 for u, v in points) for x, y in points]
    order = sorted(range(len(points)), key=lambda i: (-crowd[i], points[i][0]))
    for i in order:
        x, y = points[i]
        w = widths[i]
        best: tuple[float, Box, bool] | None = None
        for ring, gap in enumerate((3, 9, 18, 30, 45, 62, 82, 105, 130, 160)):
            steps = 8 if ring == 0 else 16
            for k in range(steps):
                angle = 2 * math.pi * k / steps
                dx, dy = math.cos(angle), math.sin(angle)
                # anchor the box's edge nearest the point at ``radius + gap`` from it
                cx = x + dx * (radius + gap + w / 2)
                cy = y + dy * (radius + gap + height / 2)
                box = Box(cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2)
                if not box.inside(frame):
                    continue
                hits = (
                    sum(box.overlaps(b, 2) for b in placed)
                    + sum(box.overlaps(d, 1) for d in dots)
                    + sum(box.overlaps(o, 2) for o in obstacles)
                )
                if hits == 0:
                    best = (0, box, ring > 1)
                    break
                if best is None or hits < best[0]:
                    best = (hits, box, True)
            if best is not None and best[0] == 0:
                break
        assert best is not None
        placed.append(best[1])
        out[i] = (best[1], best[2])
    return [o for o in out if o is not None]


def _wrap(text: str, width: float, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines no wider than ``width`` (the last one cut with
    an ellipsis if it must be).

    Examples
    --------
    >>> _wrap("a b c", 1000)
    ['a b c']
    """
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and text_width(f"{line} {words[0]}") <= width:
            line += " " + words.pop(0)
        out.append(line)
    if words:
        last = out[-1]
        while last and text_width(last + " …") > width:
            last = last[:-1]
        out[-1] = last.rstrip() + " …"
    return out


def _ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round tick values covering ``lo``..``hi``.

    Examples
    --------
    >>> _ticks(-31, 44)
    [-20, 0, 20, 40]
    """
    span = hi - lo if hi > lo else abs(hi) or 1.0
    raw = span / max(n - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        if value >= lo - step * 1e-9:
            ticks.append(round(value, 10))
        value += step
    return ticks


@dataclass(frozen=True)
class ScatterText:
    """Everything the chart writes, already in the reader's language."""

    title: str
    x_title: str
    y_title: str
    quadrants: dict[str, str]  # quadrant code -> name
    national_x: str  # e.g. "Chile 2010: 30.500"
    national_y: str  # e.g. "Chile: −8,7 %"
    number: Callable[[float, int], str]  # value, decimals -> text in the reader's language


def convergence_svg(view: dict[str, Any], text: ScatterText) -> tuple[str, list[dict[str, Any]]]:
    """The convergence view (``Registry.convergence``) as an SVG scatter.

    Returns
    -------
    tuple
        The SVG markup and, per region, its label's box in the SVG's pixels
        (``region_code, x0, y0, x1, y1``), for checks.
    """
    regions = view["regions"]
    nat = view["national"]
    xs = [r["initial"] for r in regions] + [nat["initial"]]
    ys = [r["change_pct"] for r in regions] + [nat["change_pct"], 0.0]
    xt = _ticks(min(xs), max(xs))
    yt = _ticks(min(ys), max(ys))
    x_lo, x_hi = min(xt[0], min(xs)), max(xt[-1], max(xs))
    y_lo, y_hi = min(yt[0], min(ys)), max(yt[-1], max(ys))
    # room around the extreme points for their labels
    x_pad, y_pad = (x_hi - x_lo) * 0.04, (y_hi - y_lo) * 0.06
    x_lo, x_hi, y_lo, y_hi = x_lo - x_pad, x_hi + x_pad, y_lo - y_pad, y_hi + y_pad
    plot = Box(_LEFT, _TOP, _WIDTH - _RIGHT, _HEIGHT - _BOTTOM)

    def px(v: float) -> float:
        return plot.x0 + (v - x_lo) / (x_hi - x_lo) * (plot.x1 - plot.x0)

    def py(v: float) -> float:
        return plot.y1 - (v - y_lo) / (y_hi - y_lo) * (plot.y1 - plot.y0)

    e = escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-labelledby="cv-title" '
        f'data-testid="convergence-svg" style="max-width:100%;height:auto" '
        f'font-family="{FONT}, sans-serif" font-size="{FONT_SIZE}">\n',
        f'<title id="cv-title">{e(text.title)}</title>',
        f'<rect x="{plot.x0}" y="{plot.y0}" width="{plot.x1 - plot.x0}" '
        f'height="{plot.y1 - plot.y0}" fill="#fff" stroke="#bbb"/>',
    ]
    decimals = 0 if (x_hi - x_lo) >= 50 else 1 if (x_hi - x_lo) >= 5 else 2
    for v in xt:
        x = px(v)
        parts.append(
            f'<line x1="{x:.1f}" y1="{plot.y0}" x2="{x:.1f}" y2="{plot.y1}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{plot.y1 + 16}" text-anchor="middle" fill="#444">'
            f"{e(text.number(v, decimals))}</text>"
        )
    for v in yt:
        y = py(v)
        parts.append(
            f'<line x1="{plot.x0}" y1="{y:.1f}" x2="{plot.x1}" y2="{y:.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{plot.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{e(text.number(v, 0))} %</text>"
        )
    parts.append(
        f'<line x1="{plot.x0}" y1="{py(0):.1f}" x2="{plot.x1}" y2="{py(0):.1f}" stroke="#888"/>'
    )
    # Chile's level in the start year and its change: the reference lines
    nx, ny = px(nat["initial"]), py(nat["change_pct"])
    parts.append(
        f'<line x1="{nx:.1f}" y1="{plot.y0}" x2="{nx:.1f}" y2="{plot.y1}" stroke="#333" '
        f'stroke-dasharray="5 4" data-testid="national-x"/>'
    )
    parts.append(
        f'<line x1="{plot.x0}" y1="{ny:.1f}" x2="{plot.x1}" y2="{ny:.1f}" stroke="#333" '
        f'stroke-dasharray="5 4" data-testid="national-y"/>'
    )
    obstacles: list[Box] = []
    h = FONT_SIZE + 2

    def fixed_text(x: float, y: float, label: str, anchor: str, **attrs: str) -> None:
        w = text_width(label)
        x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
        obstacles.append(Box(x0, y - FONT_SIZE + 1, x0 + w, y + 3))
        extra = "".join(f' {k.replace("_", "-")}="{e(v)}"' for k, v in attrs.items())
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{e(label)}</text>'
        )

    fixed_text(nx + 4, plot.y0 + 14, text.national_x, "start", fill="#333")
    label_y = ny - 5 if ny - 5 > plot.y0 + 30 else ny + 15
    fixed_text(plot.x1 - 4, label_y, text.national_y, "end", fill="#333")
    # quadrant names in the corners (high = right of Chile's level, growing = above zero)
    corners = {
        "high_growing": (plot.x1 - 6, plot.y0 + 32, "end"),
        "low_growing": (plot.x0 + 6, plot.y0 + 14, "start"),
        "high_declining": (plot.x1 - 6, plot.y1 - 8, "end"),
        "low_declining": (plot.x0 + 6, plot.y1 - 8, "start"),
    }
    for code, (x, y, anchor) in corners.items():
        fixed_text(
            x, y, text.quadrants[code], anchor, fill=_COLORS[code], font_style="italic",
            data_testid=f"quadrant-{code}",
        )  # fmt: skip
    points = [(px(r["initial"]), py(r["change_pct"])) for r in regions]
    full = [str(r.get("region_name") or r["region_code"]) for r in regions]
    names = [SHORT_NAMES.get(r["region_code"], n) for r, n in zip(regions, full, strict=True)]
    widths = [text_width(n) for n in names]
    frame = Box(plot.x0 + 2, plot.y0 + 2, plot.x1 - 2, plot.y1 - 2)
    boxes = place_labels(points, widths, h, frame, obstacles)
    labels = []
    for r, (x, y), name, long_name, (box, leader) in zip(
        regions, points, names, full, boxes, strict=True
    ):
        tip = (
            f"{long_name}: {text.number(r['initial'], 2)} → {text.number(r['final'], 2)} "
            f"({'+' if r['change_pct'] > 0 else ''}{text.number(r['change_pct'], 1)} %)"
        )
        if leader:
            cx = min(max(x, box.x0), box.x1)
            cy = min(max(y, box.y0), box.y1)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{cx:.1f}" y2="{cy:.1f}" stroke="#999" '
                f'stroke-width="0.8"/>'
            )
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{_COLORS[r["quadrant"]]}" '
            f'stroke="#fff" data-region="{e(r["region_code"])}"><title>{e(tip)}</title></circle>'
        )
        parts.append(
            f'<text x="{box.x0:.1f}" y="{box.y1 - 3:.1f}" fill="#222" '
            f'data-testid="region-label" data-region="{e(r["region_code"])}">{e(name)}</text>'
        )
        labels.append(
            {
                "region_code": r["region_code"],
                "x0": box.x0,
                "y0": box.y0,
                "x1": box.x1,
                "y1": box.y1,
            }
        )
    lines = _wrap(text.x_title, plot.x1 - plot.x0)
    for k, line in enumerate(lines):
        parts.append(
            f'<text x="{(plot.x0 + plot.x1) / 2:.1f}" y="{_HEIGHT - 30 + 15 * k + (8 if len(lines) == 1 else 0)}" '
            f'text-anchor="middle" fill="#222" data-testid="x-title">{e(line)}</text>'
        )
    parts.append(
        f'<text transform="translate(16 {(plot.y0 + plot.y1) / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="#222">{e(text.y_title)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts), labels
