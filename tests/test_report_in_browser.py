"""The HTML report opened in a real headless browser: its charts render as coloured bars.

Needs Chromium (Debian: ``apt-get install chromium``); skipped where there is none.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bot import cli
from bot.research.reports import PALETTE

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) into (width, height, RGB bytes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), "only 8-bit RGB(A)"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += b"".join(bytes(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    return width, height, bytes(out)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine")
def test_charts_render_in_a_headless_browser(data_dir, tmp_path):  # noqa: F811
    report = tmp_path / "report.html"
    assert cli.main(["report", "--out", str(report)]) == 0
    shot = tmp_path / "report.png"
    subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=900,2600", f"--screenshot={shot}", report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    width, height, rgb = png_pixels(shot)
    pixels = [rgb[i:i + 3] for i in range(0, len(rgb), 3)]
    first, second = (bytes.fromhex(c[1:]) for c in PALETTE[:2])
    # Bars are drawn in the palette's colours: a real chart covers thousands of pixels, text alone none.
    assert pixels.count(first) > 2_000, f"no bars in {PALETTE[0]} on a {width}x{height} screenshot"
    assert pixels.count(second) > 500
