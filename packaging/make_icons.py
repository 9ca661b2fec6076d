"""Draws the app icons into static/ (run by hand when the design changes; the PNGs are committed).

Splunk wants appIcon.png 36x36, appIcon_2x.png 72x72 and the Alt pair for dark backgrounds; a shield
with a check mark, drawn with the standard library only so nobody needs an image tool to redo it.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

Color = tuple[int, int, int, int]
NAVY: Color = (13, 59, 102, 255)
WHITE: Color = (255, 255, 255, 255)
CLEAR: Color = (0, 0, 0, 0)


def _inside_shield(x: float, y: float) -> bool:
    """Unit-square shield: straight top, sides that curve to a point at the bottom."""
    if y < 0.08 or y > 0.94:
        return False
    half_width = 0.40 if y < 0.55 else 0.40 * (1 - ((y - 0.55) / 0.39) ** 1.6)
    return abs(x - 0.5) <= half_width


def _on_check(x: float, y: float) -> bool:
    """Unit-square check mark made of two thick segments."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= 0.065**2

    return near(0.30, 0.50, 0.45, 0.66) or near(0.45, 0.66, 0.71, 0.34)


def draw(size: int, shield: Color, mark: Color) -> list[list[Color]]:
    """One pixel per cell, sampled at its centre."""
    rows = []
    for j in range(size):
        row = []
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            row.append(
                mark
                if _on_check(x, y) and _inside_shield(x, y)
                else shield
                if _inside_shield(x, y)
                else CLEAR
            )
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


def main(static: Path) -> None:
    static.mkdir(exist_ok=True)
    icons = (
        ("appIcon.png", 36, NAVY, WHITE),
        ("appIcon_2x.png", 72, NAVY, WHITE),
        ("appIconAlt.png", 36, WHITE, NAVY),
        ("appIconAlt_2x.png", 72, WHITE, NAVY),
    )
    for name, size, shield, mark in icons:
        (static / name).write_bytes(png(draw(size, shield, mark)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "static")
