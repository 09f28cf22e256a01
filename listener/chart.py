"""A tiny stacked-bar chart as PNG bytes, in pure Python (zlib + struct): no plotting library.

Used by the digest for "replies per day by sentiment". Drawn at 2x so it stays sharp on
high-density screens; the <img> tag gives it half the size. Labels use a 3x5 pixel font that
knows digits and the day letters M T W F S, which is all the chart writes.
"""

import struct
import zlib

NEGATIVE = (214, 69, 65)
NEUTRAL = (176, 184, 192)
POSITIVE = (46, 150, 90)
UNSCORED = (214, 219, 224)
COLORS = {"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE, "unscored": UNSCORED}
STACK = ("negative", "neutral", "positive", "unscored")  # bottom to top
INK = (90, 98, 106)
RULE = (214, 219, 224)
WHITE = (255, 255, 255)

GLYPHS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    "M": ("10001", "11011", "10101", "10001", "10001"), "W": ("10001", "10001", "10101", "11011", "10001"),
    "T": ("111", "010", "010", "010", "010"), "F": ("111", "100", "110", "100", "100"),
    "S": ("111", "100", "111", "001", "111"), " ": ("0", "0", "0", "0", "0"),
}

WIDTH, HEIGHT, SCALE = 280, 110, 2  # logical size; pixels are SCALE times that


class Canvas:
    def __init__(self, width, height, background=WHITE):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x1 <= x0:
            return
        span = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.rows[y][x0 * 3:x1 * 3] = span

    def text(self, x, y, text, color, pixel):
        """Draw `text` with its top-left corner at (x, y); each font pixel is `pixel` square."""
        for ch in text:
            glyph = GLYPHS.get(ch, GLYPHS[" "])
            for gy, line in enumerate(glyph):
                for gx, bit in enumerate(line):
                    if bit == "1":
                        self.rect(x + gx * pixel, y + gy * pixel, x + (gx + 1) * pixel, y + (gy + 1) * pixel, color)
            x += (len(glyph[0]) + 1) * pixel

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        return (b"\x89PNG\r\n\x1a\n"
                + _chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0))
                + _chunk(b"IDAT", zlib.compress(raw, 9))
                + _chunk(b"IEND", b""))


def text_width(text, pixel):
    return sum((len(GLYPHS.get(ch, GLYPHS[" "])[0]) + 1) * pixel for ch in text) - pixel


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def stacked_bars(days, *, width=WIDTH, height=HEIGHT, scale=SCALE):
    """PNG bytes: one bar per day, stacked negative/neutral/positive/unscored, the total above, the label below.

    `days` is a list of (label, {"negative": n, "neutral": n, "positive": n, "unscored": n}).
    """
    s = scale
    canvas = Canvas(width * s, height * s)
    font = 2 * s                                  # one font pixel
    top, bottom = 14 * s, (height - 14) * s       # room for totals above and labels below
    slot = canvas.width // max(1, len(days))
    bar = int(slot * 0.56)
    peak = max([sum(counts.values()) for _, counts in days] + [1])
    canvas.rect(0, bottom, canvas.width, bottom + s, RULE)
    for i, (label, counts) in enumerate(days):
        x0 = i * slot + (slot - bar) // 2
        y = bottom
        total = 0
        for name in STACK:
            n = counts.get(name, 0)
            total += n
            h = round(n * (bottom - top) / peak)
            if n and h < s:
                h = s                             # a single reply is still visible
            canvas.rect(x0, y - h, x0 + bar, y, COLORS[name])
            y -= h
        number = str(total)
        canvas.text(x0 + (bar - text_width(number, font)) // 2, y - 12 * s, number, INK, font)
        canvas.text(x0 + (bar - text_width(label, font)) // 2, bottom + 4 * s, label, INK, font)
    return canvas.png()
