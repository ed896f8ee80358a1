using System.Buffers.Binary;
using System.Text;
using ImagePipeline.TestImages;

namespace ImagePipeline.Local.Tests;

/// <summary>The committed sample images, and the WebP facts the tests check.</summary>
internal static class TestFiles
{
    private static readonly Lazy<string> SampleRoot = new(() => Path.Combine(RepoRoot.Find(), "sample-images"));

    /// <summary>The bytes of <c>sample-images/{photos|broken}/{name}</c>.</summary>
    public static byte[] Sample(string name) => File.ReadAllBytes(SampleImageSet.PathOf(SampleRoot.Value, name));

    /// <summary>The four-character codes of a RIFF file's top-level chunks (e.g. <c>VP8X</c>, <c>VP8 </c>, <c>EXIF</c>).</summary>
    public static List<string> RiffChunks(byte[] data)
    {
        var chunks = new List<string>();
        for (var at = 12; at + 8 <= data.Length;)
        {
            chunks.Add(Encoding.ASCII.GetString(data, at, 4));
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4));
            at += 8 + (int)size + (int)(size & 1);
        }

        return chunks;
    }

    /// <summary>Width and height from a WebP file's header, asserting it is one (RIFF/WEBP, then a VP8, VP8L or VP8X chunk).</summary>
    public static (int Width, int Height) WebpSize(byte[] data)
    {
        Assert.True(data.Length >= 30, $"{data.Length} bytes is too short for a WebP file");
        Assert.Equal("RIFF", Encoding.ASCII.GetString(data, 0, 4));
        Assert.Equal("WEBP", Encoding.ASCII.GetString(data, 8, 4));
        Assert.Equal(data.Length - 8L, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4)));
        var chunk = Encoding.ASCII.GetString(data, 12, 4);
        switch (chunk)
        {
            case "VP8 ":
                // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
                Assert.True(data[23] == 0x9D && data[24] == 0x01 && data[25] == 0x2A, "VP8 start code missing");
                return (BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(26)) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(28)) & 0x3FFF);
            case "VP8L":
                Assert.Equal(0x2F, data[20]);
                var bits = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(21));
                return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
            case "VP8X":
                return (1 + (data[24] | data[25] << 8 | data[26] << 16), 1 + (data[27] | data[28] << 8 | data[29] << 16));
            default:
                Assert.Fail($"Unknown first WebP chunk '{chunk}'");
                return default;
        }
    }
}
