"""Draws the app's icons (run by hand when the design changes; the PNGs are committed).

Splunk wants static/appIcon.png 36x36, appIcon_2x.png 72x72 and the Alt pair for dark backgrounds: a shield
with a check mark. Each alert action shows its own icon (UCC's iconFileName, a file in appserver/static/):
the shield with a plus (add to a group), a minus (remove from one) or a clock (release containments whose
time is up). Drawn with the standard library only, so nobody needs an image tool to redo them.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

Color = tuple[int, int, int, int]
Mark = Callable[[float, float], bool]
NAVY: Color = (13, 59, 102, 255)
WHITE: Color = (255, 255, 255, 255)
CLEAR: Color = (0, 0, 0, 0)


def _inside_shield(x: float, y: float) -> bool:
    """Unit-square shield: straight top, sides that curve to a point at the bottom."""
    if y < 0.08 or y > 0.94:
        return False
    half_width = 0.40 if y < 0.55 else 0.40 * (1 - ((y - 0.55) / 0.39) ** 1.6)
    return abs(x - 0.5) <= half_width


Point = tuple[float, float]


def _near(p: Point, a: Point, b: Point, width: float = 0.065) -> bool:
    """Whether p is within `width` of the segment from a to b."""
    (x, y), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width**2


def _on_check(x: float, y: float) -> bool:
    return _near((x, y), (0.30, 0.50), (0.45, 0.66)) or _near((x, y), (0.45, 0.66), (0.71, 0.34))


def _on_plus(x: float, y: float) -> bool:
    return _near((x, y), (0.30, 0.46), (0.70, 0.46)) or _near((x, y), (0.50, 0.26), (0.50, 0.66))


def _on_minus(x: float, y: float) -> bool:
    return _near((x, y), (0.30, 0.46), (0.70, 0.46))


def _on_clock(x: float, y: float) -> bool:
    ring = abs(((x - 0.5) ** 2 + (y - 0.46) ** 2) ** 0.5 - 0.21) <= 0.045
    return (
        ring or _near((x, y), (0.5, 0.46), (0.5, 0.33), 0.04) or _near((x, y), (0.5, 0.46), (0.6, 0.46), 0.04)
    )


def draw(size: int, shield: Color, mark: Color, on_mark: Mark = _on_check) -> list[list[Color]]:
    """One pixel per cell, sampled at its centre."""
    rows = []
    for j in range(size):
        row = []
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            inside = _inside_shield(x, y)
            row.append(mark if inside and on_mark(x, y) else shield if inside else CLEAR)
        rows.append(row)
    return rows


def png(pixels: list[list[Color]]) -> bytes:
    """RGBA PNG, 8 bits per channel, no filtering."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + b"".join(struct.pack("4B", *px) for px in row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


# The alert actions' icons, by the file name globalConfig.json gives each action (iconFileName).
ALERT_ICONS: dict[str, Mark] = {
    "mimecast_add_to_group.png": _on_plus,
    "mimecast_remove_from_group.png": _on_minus,
    "mimecast_containment_sweep.png": _on_clock,
}
ALERT_ICON_SIZE = 48


def main(root: Path) -> None:
    static = root / "static"
    static.mkdir(exist_ok=True)
    icons = (
        ("appIcon.png", 36, NAVY, WHITE),
        ("appIcon_2x.png", 72, NAVY, WHITE),
        ("appIconAlt.png", 36, WHITE, NAVY),
        ("appIconAlt_2x.png", 72, WHITE, NAVY),
    )
    for name, size, shield, mark in icons:
        (static / name).write_bytes(png(draw(size, shield, mark)))
    alert_static = root / "appserver" / "static"
    alert_static.mkdir(parents=True, exist_ok=True)
    for name, on_mark in ALERT_ICONS.items():
        (alert_static / name).write_bytes(png(draw(ALERT_ICON_SIZE, NAVY, WHITE, on_mark)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
