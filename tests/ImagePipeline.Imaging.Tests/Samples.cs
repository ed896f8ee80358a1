using ImagePipeline.TestImages;
using NetVips;

namespace ImagePipeline.Imaging.Tests;

/// <summary>Reads the committed sample images and decodes outputs back for assertions.</summary>
internal static class Samples
{
    public static string Directory { get; } = Path.Combine(RepoRoot.Find(), "sample-images");

    public static byte[] Read(string name) => File.ReadAllBytes(SampleImageSet.PathOf(Directory, name));

    /// <summary>Decodes an encoded output and returns what a viewer would see of it.</summary>
    public static DecodedImage Decode(ReadOnlyMemory<byte> encoded)
    {
        using var image = Load(encoded.ToArray());
        string[] metadata = ["exif-data", "xmp-data", "icc-profile-data", "orientation", "iptc-data"];
        return new DecodedImage(image.Width, image.Height, image.Bands, metadata.Where(image.Contains).ToArray(), Mean(image, 0, 0, image.Width / 10, image.Height / 10), Mean(image, image.Width * 9 / 10, image.Height * 9 / 10, image.Width / 10, image.Height / 10));
    }

    /// <summary>Opens an image of any allowed format from memory (the engine has chosen libvips: see LibvipsFirst).</summary>
    public static Image Load(byte[] encoded) => Image.NewFromSource(Source.NewFromMemory(encoded));

    private static double[] Mean(Image image, int left, int top, int width, int height)
    {
        using var area = image.ExtractArea(left, top, Math.Max(1, width), Math.Max(1, height));
        var means = new double[Math.Min(3, image.Bands)];
        for (var band = 0; band < means.Length; band++)
        {
            using var one = area.ExtractBand(band);
            means[band] = one.Avg();
        }

        return means;
    }
}

/// <summary>An output decoded: size, bands, metadata fields present, and mean colour of the top-left and bottom-right tenths.</summary>
internal sealed record DecodedImage(int Width, int Height, int Bands, string[] MetadataFields, double[] TopLeft, double[] BottomRight)
{
    /// <summary>The generator paints the upright picture's top-left corner pure red.</summary>
    public bool TopLeftIsRed => TopLeft[0] > 180 && TopLeft[1] < 70 && TopLeft[2] < 70;

    public bool BottomRightIsRed => BottomRight[0] > 180 && BottomRight[1] < 70 && BottomRight[2] < 70;
}
