using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ImagePipeline.TestImages;
using NetVips;

namespace ImagePipeline.Imaging.Tests;

/// <summary>Inputs the sample set lacks, made with libvips from synthetic photos, and crafted headers.</summary>
internal static class TestInputs
{
    /// <summary>An 8-bit sRGB photo (RGBA when <paramref name="alpha"/>), ready to be saved in any layout.</summary>
    public static Image Photo(int width, int height, bool alpha = false)
    {
        var bytes = alpha ? SyntheticImages.AlphaPng(width, height) : SyntheticImages.PhotoJpeg(width, height, quality: 95);
        using var loaded = Samples.Load(bytes);
        return loaded.CopyMemory();
    }

    /// <summary>A PNG of the photo: 8- or 16-bit, Adam7-interlaced or not.</summary>
    public static byte[] Png(int width, int height, bool alpha, bool interlace = false, bool sixteenBit = false)
    {
        using var photo = Photo(width, height, alpha);
        if (!sixteenBit)
        {
            return photo.PngsaveBuffer(interlace: interlace, compression: 1);
        }

        using var wide = photo.Linear([257], [0]);
        using var cast = wide.Cast(Enums.BandFormat.Ushort);
        using var rgb16 = cast.Copy(interpretation: Enums.Interpretation.Rgb16);
        return rgb16.PngsaveBuffer(interlace: interlace, compression: 1);
    }

    /// <summary>A JPEG of the photo: baseline or progressive, chroma subsampled (4:2:0) or not (4:4:4).</summary>
    public static byte[] Jpeg(int width, int height, bool progressive, bool subsample = true)
    {
        using var photo = Photo(width, height);
        return photo.JpegsaveBuffer(q: 85, interlace: progressive, subsampleMode: subsample ? Enums.ForeignSubsample.On : Enums.ForeignSubsample.Off);
    }

    public static byte[] Webp(int width, int height) => SyntheticImages.PhotoWebp(width, height);

    public static byte[] Gif(int width, int height) => SyntheticImages.AnimatedGif(width, height, frames: 1);

    public static byte[] Tiff(int width, int height)
    {
        using var photo = Photo(width, height);
        return photo.TiffsaveBuffer(compression: Enums.ForeignTiffCompression.Deflate);
    }

    public static byte[] Avif(int width, int height)
    {
        using var photo = Photo(width, height);
        return photo.HeifsaveBuffer(q: 50, compression: Enums.ForeignHeifCompression.Av1, effort: 0);
    }

    /// <summary>A quickly made grey-gradient PNG of any size (no photo content: for shapes, not looks).</summary>
    public static byte[] GradientPng(int width, int height)
    {
        using var ramp = Image.Grey(width, height);
        using var scaled = ramp.Linear([255], [0]);
        using var bytes = scaled.Cast(Enums.BandFormat.Uchar);
        return bytes.PngsaveBuffer(compression: 1);
    }

    /// <summary>
    /// A PNG whose header says <paramref name="width"/>×<paramref name="height"/> of 8- or 16-bit RGBA, followed by a
    /// few kilobytes of zero rows: the header passes for any size, the data runs out at once.
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height, bool sixteenBit, bool interlace)
    {
        using var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = (byte)(sixteenBit ? 16 : 8); // bit depth
        header[9] = 6; // colour type: RGBA
        header[12] = (byte)(interlace ? 1 : 0); // Adam7
        Chunk(file, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(new byte[65536]);
            }

            Chunk(file, "IDAT", compressed.ToArray());
        }

        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>The first <paramref name="fraction"/> of <paramref name="data"/>.</summary>
    public static byte[] Truncated(byte[] data, double fraction) => data[..(int)(data.Length * fraction)];

    private static void Chunk(Stream file, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        file.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        file.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
