"""Reading kestrel's framebuffer console back: QEMU's monitor, PPM screenshots, our font.

The font comes from drivers/font8x16.c (the table the hypervisor draws with), so a
screenshot can be read back cell by cell: a cell's ink pattern either equals one of our
glyphs or the cell is unreadable. read_screen() turns a screenshot into text lines;
line_region_matches() renders a known line with the same glyphs and compares it pixel by
pixel with the screen region it should occupy.
"""
import os
import re
import socket
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FONT_C = os.path.join(ROOT, "drivers", "font8x16.c")
W, H, FIRST = 8, 16, 0x20


def load_font(path=FONT_C):
    """{char: 16 row bytes} from the C table, one glyph per brace group, in order."""
    text = open(path).read()
    body = text[text.index("FONT_HEIGHT] = {") + len("FONT_HEIGHT] = {"):]
    groups = re.findall(r"\{([^{}]*)\}", body)
    font = {}
    for i, g in enumerate(groups):
        rows = [int(x, 16) for x in re.findall(r"0x[0-9a-fA-F]{2}", g)]
        if len(rows) != H:
            raise ValueError("glyph %d has %d rows" % (i, len(rows)))
        font[chr(FIRST + i)] = tuple(rows)
    if len(font) != 0x7f - FIRST:
        raise ValueError("font has %d glyphs, want %d" % (len(font), 0x7f - FIRST))
    return font


def read_ppm(path):
    """(width, height, bytes of RGB triples) from a binary P6 file."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
        if not m:
            raise ValueError("%s: truncated PPM header" % path)
        fields.append(m.group(2))
        pos = m.end()
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError("%s: not an 8-bit P6 PPM" % path)
    w, h = int(fields[1]), int(fields[2])
    pix = data[pos + 1:pos + 1 + 3 * w * h]
    if len(pix) != 3 * w * h:
        raise ValueError("%s: %d pixel bytes, want %d" % (path, len(pix), 3 * w * h))
    return w, h, pix


def ink_mask(w, h, pix):
    """One bool per pixel: lighter than mid-grey (the console draws light grey on black)."""
    return [[sum(pix[3 * (y * w + x):3 * (y * w + x) + 3]) > 3 * 0x60 for x in range(w)]
            for y in range(h)]


def cell_bits(mask, col, row):
    return tuple(sum(0x80 >> x for x in range(W) if mask[row * H + y][col * W + x])
                 for y in range(H))


def read_screen(ppm, font=None):
    """The screen as text lines (trailing blanks cut); an unreadable cell reads as '\\x00'."""
    font = font or load_font()
    by_bits = {bits: ch for ch, bits in font.items()}
    w, h, pix = read_ppm(ppm)
    mask = ink_mask(w, h, pix)
    return [''.join(by_bits.get(cell_bits(mask, c, r), '\0') for c in range(w // W)).rstrip()
            for r in range(h // H)]


def line_region_matches(ppm, row, text, font=None):
    """Whether screen row `row`, from column 0, shows exactly `text` in our glyphs."""
    font = font or load_font()
    w, h, pix = read_ppm(ppm)
    mask = ink_mask(w, h, pix)
    for i, ch in enumerate(text):
        for y in range(H):
            want = font.get(ch, font['?'])[y]
            got = cell_bits(mask, i, row)[y]
            if want != got:
                return False
    return True


def read_ega(path, cols=80):
    """Text lines of an EGA text buffer dump (character, attribute byte pairs)."""
    data = open(path, "rb").read()
    chars = data[0::2]
    return [chars[i:i + cols].decode("latin-1").rstrip() for i in range(0, len(chars), cols)]


class Monitor:
    """QEMU's human monitor on a unix socket: one command at a time."""

    def __init__(self, path, timeout=10):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.s.settimeout(timeout)
        self._until(b"(qemu) ")

    def _until(self, token):
        buf = b""
        while token not in buf:
            chunk = self.s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf

    def cmd(self, line):
        """Send one command; OSError naming it when the monitor answers with an error."""
        self.s.sendall(line.encode() + b"\n")
        out = self._until(b"(qemu) ").decode(errors="replace")
        if "Try \"help" in out or "Could not" in out or "invalid" in out:
            raise OSError("monitor: %r failed: %s" % (line, out.splitlines()[-2:]))
        return out

    def close(self):
        try:
            self.s.sendall(b"quit\n")
        except OSError:
            pass
        self.s.close()
