#!/usr/bin/env python3
"""Decodes a PNG into a binary PPM (P6: RGB, 8 bits a channel) with only the standard library.

    scripts/png-to-ppm.py IN.png OUT.ppm

For the drill report's rendering test (Tests/BreakglassEndToEndTests/DrillReportBrowserTests.swift),
which reads the pixels of a headless browser's screenshot. Handles what browsers write: 8-bit,
non-interlaced, greyscale, RGB, grey+alpha or RGBA (alpha composited over white), every filter type.
Exits 1 with a message on anything else.
"""
import struct
import sys
import zlib


def fail(message):
    sys.stderr.write("png-to-ppm: %s\n" % message)
    sys.exit(1)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG (bad signature)")
    pos, header, idat = 8, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            fail("truncated %s chunk" % kind.decode("latin-1"))
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            fail("bad CRC in %s chunk" % kind.decode("latin-1"))
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None or not idat:
        fail("no IHDR or no IDAT")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        fail("unsupported PNG: depth %d, colour type %d, interlace %d" % (depth, colour, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        fail("image data is %d bytes, expected %d" % (len(raw), height * (stride + 1)))

    out = bytearray(width * height * 3)
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filt = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if filt == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif filt == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif filt == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif filt == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                upleft = previous[i - channels] if i >= channels else 0
                line[i] = (line[i] + paeth(left, previous[i], upleft)) & 0xFF
        elif filt != 0:
            fail("unknown filter %d on row %d" % (filt, y))
        row = y * width * 3
        if channels == 3:
            out[row:row + width * 3] = line
        else:
            for x in range(width):
                px = line[x * channels:(x + 1) * channels]
                if channels in (1, 2):
                    rgb, alpha = (px[0], px[0], px[0]), (px[1] if channels == 2 else 255)
                else:
                    rgb, alpha = (px[0], px[1], px[2]), px[3]
                for c in range(3):
                    out[row + x * 3 + c] = (rgb[c] * alpha + 255 * (255 - alpha) + 127) // 255
        previous = line
    return width, height, bytes(out)


def main():
    if len(sys.argv) != 3:
        fail("usage: png-to-ppm.py IN.png OUT.ppm")
    with open(sys.argv[1], "rb") as f:
        width, height, pixels = decode(f.read())
    with open(sys.argv[2], "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height))
        f.write(pixels)


if __name__ == "__main__":
    main()
