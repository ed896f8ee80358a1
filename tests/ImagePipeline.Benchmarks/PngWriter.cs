using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// Writes RGBA PNGs of any size, 8- or 16-bit, Adam7-interlaced or not, streaming to a file: the worst inputs of the
/// decode budget, which the public sample generators do not make. The picture is blocky colour (runs of equal pixels),
/// so even 64 MP of 16-bit RGBA stays a few megabytes; decoders need the same memory whatever the content.
/// </summary>
internal static class PngWriter
{
    // Adam7: x start, y start, x step, y step of each of the seven passes.
    private static readonly (int X, int Y, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    public static void WriteRgba(string path, int width, int height, bool sixteenBit, bool interlace)
    {
        using var file = File.Create(path);
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = (byte)(sixteenBit ? 16 : 8);
        header[9] = 6; // RGBA
        header[12] = (byte)(interlace ? 1 : 0);
        WriteChunk(file, "IHDR", header);

        var bytesPerPixel = sixteenBit ? 8 : 4;
        using (var idat = new IdatStream(file))
        using (var zlib = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + ((long)width * bytesPerPixel)];
            foreach (var (x0, y0, dx, dy) in interlace ? Adam7 : [(0, 0, 1, 1)])
            {
                for (var y = y0; y < height; y += dy)
                {
                    var length = 1;
                    for (var x = x0; x < width; x += dx)
                    {
                        length += Pixel(x, y, sixteenBit, row.AsSpan(length));
                    }

                    if (length > 1)
                    {
                        row[0] = 0; // filter: none
                        zlib.Write(row, 0, length);
                    }
                }
            }
        }

        WriteChunk(file, "IEND", []);
    }

    // Blocks of 64 pixels: a colour per block, opaque to half-transparent from top to bottom.
    private static int Pixel(int x, int y, bool sixteenBit, Span<byte> into)
    {
        var r = (x / 64 * 37) & 0xFF;
        var g = (y / 64 * 53) & 0xFF;
        var b = ((x + y) / 128 * 29) & 0xFF;
        var a = 255 - ((y / 64) & 0x7F);
        if (!sixteenBit)
        {
            into[0] = (byte)r;
            into[1] = (byte)g;
            into[2] = (byte)b;
            into[3] = (byte)a;
            return 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(into, (ushort)(r * 257));
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], (ushort)(g * 257));
        BinaryPrimitives.WriteUInt16BigEndian(into[4..], (ushort)(b * 257));
        BinaryPrimitives.WriteUInt16BigEndian(into[6..], (ushort)(a * 257));
        return 8;
    }

    private static void WriteChunk(Stream file, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        file.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        file.Write(typeBytes);
        file.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, ~Crc(Crc(0xFFFFFFFFu, typeBytes), data));
        file.Write(word);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>Cuts the zlib stream into IDAT chunks of up to 1 MiB.</summary>
    private sealed class IdatStream(Stream file) : Stream
    {
        private readonly MemoryStream _pending = new();
        private bool _disposed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            _pending.Write(buffer, offset, count);
            if (_pending.Length >= 1 << 20)
            {
                Flush();
            }
        }

        public override void Flush()
        {
            if (_pending.Length > 0)
            {
                WriteChunk(file, "IDAT", _pending.GetBuffer().AsSpan(0, (int)_pending.Length));
                _pending.SetLength(0);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                Flush();
                _pending.Dispose();
                _disposed = true;
            }

            base.Dispose(disposing);
        }
    }
}
