using System.Buffers.Binary;

namespace ImagePipeline.Imaging;

/// <summary>
/// Removes EXIF, XMP and ICC chunks from an encoded WebP. libvips 8.14's webpsave writes an EXIF block of its own
/// (resolution, orientation) even when asked to strip; outputs must carry no metadata on every libvips version.
/// </summary>
internal static class WebpContainer
{
    private const byte IccFlag = 0x20, ExifFlag = 0x08, XmpFlag = 0x04;

    public static byte[] StripMetadata(byte[] webp)
    {
        if (webp.Length < 30 || !webp.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !webp.AsSpan(8, 8).SequenceEqual("WEBPVP8X"u8))
        {
            return webp; // only the extended format (VP8X) can hold metadata chunks
        }

        var output = new List<byte>(webp.Length);
        output.AddRange(webp.AsSpan(0, 12).ToArray());
        for (var offset = 12; offset + 8 <= webp.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(offset + 4, 4));
            var total = 8 + size + (size & 1);
            if (offset + 8 + size > webp.Length)
            {
                throw new InvalidDataException("WebP chunk runs past the end of the file.");
            }

            var fourCc = webp.AsSpan(offset, 4);
            if (!fourCc.SequenceEqual("EXIF"u8) && !fourCc.SequenceEqual("XMP "u8) && !fourCc.SequenceEqual("ICCP"u8))
            {
                var chunk = webp.AsSpan(offset, Math.Min(total, webp.Length - offset)).ToArray();
                if (fourCc.SequenceEqual("VP8X"u8))
                {
                    chunk[8] &= unchecked((byte)~(IccFlag | ExifFlag | XmpFlag));
                }

                output.AddRange(chunk);
            }

            offset += total;
        }

        var result = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4, 4), (uint)(result.Length - 8));
        return result;
    }
}
