using System.Text;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Imaging;

/// <summary>
/// Decides the format from the bytes (never the name or declared type), which also picks the one loader allowed to
/// read it. Anything that matches no signature is refused before libvips sees it.
/// </summary>
internal static class FormatDetector
{
    public static ImageFormat? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return ImageFormat.Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageFormat.Png;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.Webp;
        }

        // Classic and BigTIFF, both byte orders.
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8) || data.StartsWith("II+\0"u8) || data.StartsWith("MM\0+"u8))
        {
            return ImageFormat.Tiff;
        }

        return HeifBrand(data);
    }

    /// <summary>Sample precision from the first SOF marker before the scan, or null when none is found.</summary>
    public static int? JpegPrecision(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i + 4 < data.Length && data[i] == 0xFF)
        {
            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return i + 4 < data.Length ? data[i + 4] : null;
            }

            if (marker is 0xDA or 0xD9)
            {
                return null;
            }

            i += 2 + (data[i + 2] << 8 | data[i + 3]);
        }

        return null;
    }

    public static string LoaderOf(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpegload_source",
        ImageFormat.Png => "pngload_source",
        ImageFormat.Webp => "webpload_source",
        ImageFormat.Gif => "gifload_source",
        ImageFormat.Avif or ImageFormat.Heic => "heifload_source",
        ImageFormat.Tiff => "tiffload_source",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string SampleOf(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => FormatSamples.Jpeg,
        ImageFormat.Png => FormatSamples.Png,
        ImageFormat.Webp => FormatSamples.Webp,
        ImageFormat.Gif => FormatSamples.Gif,
        ImageFormat.Avif => FormatSamples.Avif,
        ImageFormat.Heic => FormatSamples.Heic,
        ImageFormat.Tiff => FormatSamples.Tiff,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    // ISO BMFF: [size]["ftyp"][major brand][minor version][compatible brands…]. AVIF files may carry a generic major
    // brand (mif1) and name avif only among the compatible ones, so all brands are read.
    private static ImageFormat? HeifBrand(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16 || !data[4..8].SequenceEqual("ftyp"u8))
        {
            return null;
        }

        var boxSize = (int)Math.Min((uint)(data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3]), (uint)Math.Min(data.Length, 4096));
        var brands = new List<string> { Encoding.ASCII.GetString(data[8..12]) };
        for (var offset = 16; offset + 4 <= boxSize; offset += 4)
        {
            brands.Add(Encoding.ASCII.GetString(data[offset..(offset + 4)]));
        }

        if (brands.Contains("avif") || brands.Contains("avis"))
        {
            return ImageFormat.Avif;
        }

        string[] heic = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"];
        return brands.Any(heic.Contains) ? ImageFormat.Heic : null;
    }
}
