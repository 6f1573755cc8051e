"""Write search_app/static/favicon.ico: the favicon.svg's white "CK" on a rounded blue square, as a
16×16 and a 32×32 bitmap (32-bit BMP images in an ICO, which every browser reads), drawn here pixel
by pixel so that no imaging library is needed.

    python scripts/make_favicon.py
"""
from __future__ import annotations

import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "search_app" / "static" / "favicon.ico"
BLUE = (0x1D, 0x4E, 0x89)      # favicon.svg's fill
WHITE = (0xFF, 0xFF, 0xFF)
GLYPHS = {
    "C": [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
    "K": ["#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"],
}


def pixels(size: int) -> list[list[tuple[int, int, int, int]]]:
    """Rows top to bottom of (r, g, b, alpha)."""
    scale = max(1, size // 16)
    radius = 3 * scale
    grid = [[(*BLUE, 255) for _ in range(size)] for _ in range(size)]
    for y in range(size):           # rounded corners: transparent outside the quarter circles
        for x in range(size):
            cx = radius - 0.5 if x < radius else size - radius - 0.5 if x >= size - radius else x
            cy = radius - 0.5 if y < radius else size - radius - 0.5 if y >= size - radius else y
            if (x - cx) ** 2 + (y - cy) ** 2 > radius ** 2:
                grid[y][x] = (0, 0, 0, 0)
    width = (2 * 5 + 1) * scale
    left, top = (size - width + 1) // 2, (size - 7 * scale + 1) // 2
    for n, letter in enumerate("CK"):
        for gy, row in enumerate(GLYPHS[letter]):
            for gx, mark in enumerate(row):
                if mark == "#":
                    for dy in range(scale):
                        for dx in range(scale):
                            grid[top + gy * scale + dy][left + n * 6 * scale + gx * scale + dx] = (*WHITE, 255)
    return grid


def bmp_image(size: int) -> bytes:
    """An ICO's image: a BITMAPINFOHEADER (height doubled for the mask), BGRA rows bottom up, and
    the 1-bit AND mask (all 0: the alpha channel decides)."""
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = b"".join(bytes(b for r, g, bl, a in row for b in (bl, g, r, a)) for row in reversed(pixels(size)))
    mask_row = ((size + 31) // 32) * 4
    return header + rows + bytes(mask_row * size)


def ico(sizes: tuple[int, ...] = (16, 32)) -> bytes:
    images = [bmp_image(s) for s in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, image in zip(sizes, images):
        out += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return out + b"".join(images)


if __name__ == "__main__":
    OUT.write_bytes(ico())
    print(f"{OUT} ({OUT.stat().st_size} bytes)")
