using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// What the RIFF container of a WebP file says: its chunks in order, the frame size from the VP8 or VP8L bitstream
/// header, and the canvas size and flags of a VP8X header when there is one.
/// </summary>
internal sealed record WebpFile(IReadOnlyList<string> Chunks, int Width, int Height, (int Width, int Height)? Canvas, byte? Flags)
{
    /// <summary>VP8X flag bits (WebP container spec): ICC profile, alpha, EXIF, XMP, animation.</summary>
    public const byte IccFlag = 0x20, AlphaFlag = 0x10, ExifFlag = 0x08, XmpFlag = 0x04, AnimationFlag = 0x02;

    public static WebpFile Read(string path) => Parse(File.ReadAllBytes(path));

    public static WebpFile Parse(byte[] data)
    {
        if (data.Length < 20 || !data.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !data.AsSpan(8, 4).SequenceEqual("WEBP"u8))
        {
            throw new InvalidDataException("Not a WebP file: no RIFF....WEBP header.");
        }

        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4));
        if (riffSize + 8L != data.Length)
        {
            throw new InvalidDataException($"The RIFF size says {riffSize + 8L} bytes; the file has {data.Length}.");
        }

        var chunks = new List<string>();
        (int, int)? frame = null, canvas = null;
        byte? flags = null;
        var offset = 12;
        while (offset < data.Length)
        {
            if (offset + 8 > data.Length)
            {
                throw new InvalidDataException($"Truncated chunk header at offset {offset}.");
            }

            var fourCc = Encoding.ASCII.GetString(data, offset, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4));
            var start = offset + 8;
            if (start + (long)size > data.Length)
            {
                throw new InvalidDataException($"Chunk '{fourCc}' at offset {offset} claims {size} bytes, past the end of the file.");
            }

            var body = data.AsSpan(start, (int)size);
            chunks.Add(fourCc);
            switch (fourCc)
            {
                case "VP8X" when body.Length >= 10:
                    flags = body[0];
                    canvas = (1 + ReadUInt24(body[4..]), 1 + ReadUInt24(body[7..]));
                    break;
                case "VP8 " when body.Length >= 10:
                    // 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height (2 scale bits each).
                    if (body[3] != 0x9D || body[4] != 0x01 || body[5] != 0x2A)
                    {
                        throw new InvalidDataException("VP8 chunk without the 9D 01 2A start code.");
                    }

                    frame ??= (BinaryPrimitives.ReadUInt16LittleEndian(body[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(body[8..]) & 0x3FFF);
                    break;
                case "VP8L" when body.Length >= 5:
                    // Signature 0x2F, then width-1 in 14 bits and height-1 in the next 14.
                    if (body[0] != 0x2F)
                    {
                        throw new InvalidDataException("VP8L chunk without the 0x2F signature.");
                    }

                    var bits = BinaryPrimitives.ReadUInt32LittleEndian(body[1..]);
                    frame ??= ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
                    break;
            }

            offset = start + (int)size + (int)(size & 1);
        }

        var (width, height) = frame ?? throw new InvalidDataException("No VP8 or VP8L image chunk. Chunks: " + string.Join(", ", chunks));
        return new WebpFile(chunks, width, height, canvas, flags);
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => bytes[0] | bytes[1] << 8 | bytes[2] << 16;
}
