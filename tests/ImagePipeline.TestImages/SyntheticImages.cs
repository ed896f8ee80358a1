using ImagePipeline.Imaging;
using ImagePipeline.Imaging.Interop;

namespace ImagePipeline.TestImages;

/// <summary>
/// Photo-like test images made with libvips: smooth large-scale shapes, finer structure and sensor-like noise, so
/// they compress and resize like camera photos. The upright picture has a red block in its top-left corner, which
/// tells a test whether orientation was applied.
/// </summary>
public static class SyntheticImages
{
    static SyntheticImages() => _ = new LibvipsImageEngine();

    /// <summary>The default camera facts of the samples.</summary>
    public static CameraExif Camera { get; } = new(
        Make: "ImagePipeline",
        Model: "Synthetic Camera 1",
        LensModel: "Synthetic 24-70mm f/2.8",
        TakenAt: new DateTime(2024, 5, 17, 14, 30, 15),
        ExposureTime: (1, 250),
        FNumber: (28, 10),
        Iso: 200,
        FocalLength: (50, 1),
        Gps: (48.8583701, 2.2944813, 35.5));

    /// <summary>
    /// A JPEG whose pixels are stored so that applying EXIF <paramref name="orientation"/> shows the upright
    /// <paramref name="width"/>×<paramref name="height"/> picture (stored dimensions swap for 5–8).
    /// </summary>
    public static byte[] PhotoJpeg(int width, int height, int orientation = 1, CameraExif? exif = null, int quality = 88, int seed = 1, double noise = 10)
    {
        using var upright = Photo(width, height, seed, marker: true, noise);
        using var stored = StoreFor(upright, orientation);
        using var tagged = Copy(stored);
        if (exif is not null)
        {
            tagged.SetBlob("exif-data", ExifBuilder.Build(exif, orientation));
        }

        tagged.SetInt("orientation", orientation);
        return Save("jpegsave_buffer", tagged, op => op.Set("Q", quality));
    }

    /// <summary>An RGBA PNG whose alpha runs from opaque to fully transparent.</summary>
    public static byte[] AlphaPng(int width, int height)
    {
        using var photo = Photo(width, height, seed: 7, marker: false);
        using var alpha = Run("perlin", op => op.Set("width", width).Set("height", height).Set("cell_size", Math.Max(8, width / 3)).Set("uchar", true).Set("seed", 11));
        using var withAlpha = Run("bandjoin", op => op.Set("in", new[] { photo, alpha }));
        using var srgb = Copy(withAlpha, "srgb");
        return Save("pngsave_buffer", srgb, op => op.Set("compression", 9));
    }

    /// <summary>A lossy WebP photo.</summary>
    public static byte[] PhotoWebp(int width, int height)
    {
        using var photo = Photo(width, height, seed: 3, marker: true);
        return Save("webpsave_buffer", photo, op => op.Set("Q", 80));
    }

    /// <summary>An animated GIF of <paramref name="frames"/> differently tinted frames.</summary>
    public static byte[] AnimatedGif(int width, int height, int frames)
    {
        VipsImage? strip = null;
        try
        {
            for (var i = 0; i < frames; i++)
            {
                using var frame = Photo(width, height, seed: 20 + i, marker: i == 0);
                if (strip is null)
                {
                    strip = Copy(frame);
                    continue;
                }

                var joined = Run("join", op => op.Set("in1", strip).Set("in2", frame).SetFromString("direction", "vertical"));
                strip.Dispose();
                strip = joined;
            }

            using var animated = Copy(strip!);
            animated.SetInt("page-height", height);
            animated.SetInt("loop", 0);
            return Save("gifsave_buffer", animated, _ => { });
        }
        finally
        {
            strip?.Dispose();
        }
    }

    /// <summary>A tiny PNG whose header claims <paramref name="width"/>×<paramref name="height"/> (a decompression bomb).</summary>
    public static byte[] HugeFlatPng(int width, int height)
    {
        using var black = Run("black", op => op.Set("width", width).Set("height", height));
        return Save("pngsave_buffer", black, op => op.Set("compression", 9).Set("bitdepth", 1));
    }

    private static VipsImage Photo(int width, int height, int seed, bool marker, double noise = 4)
    {
        using var shapes = Run("perlin", op => op.Set("width", width).Set("height", height).Set("cell_size", Math.Max(16, width / 5)).Set("seed", seed));
        using var detail = Run("perlin", op => op.Set("width", width).Set("height", height).Set("cell_size", Math.Max(4, width / 60)).Set("seed", seed + 1000));
        using var tint = Run("perlin", op => op.Set("width", width).Set("height", height).Set("cell_size", Math.Max(16, width / 3)).Set("seed", seed + 2000));
        using var grainNoise = Run("gaussnoise", op => op.Set("width", width).Set("height", height).Set("sigma", noise).Set("mean", 0.0).Set("seed", seed + 3000));

        // perlin is float in [-1, 1]: luminance from shapes and detail, colour from a slower field, then noise.
        using var l1 = Run("linear", op => op.Set("in", shapes).SetFromString("a", "90").SetFromString("b", "128"));
        using var l2 = Run("linear", op => op.Set("in", detail).SetFromString("a", "35").SetFromString("b", "0"));
        using var luminance = Run("add", op => op.Set("left", l1).Set("right", l2));
        using var grain = Run("add", op => op.Set("left", luminance).Set("right", grainNoise));
        using var colour = Run("linear", op => op.Set("in", tint).SetFromString("a", "60 10 -55").SetFromString("b", "0 0 0"));
        using var rgb = Run("add", op => op.Set("left", grain).Set("right", colour));
        using var bytes = Run("cast", op => op.Set("in", rgb).SetFromString("format", "uchar"));
        var photo = Copy(bytes, "srgb");
        if (!marker)
        {
            return photo;
        }

        using (photo)
        {
            using var black = Run("black", op => op.Set("width", Math.Max(1, width / 4)).Set("height", Math.Max(1, height / 4)).Set("bands", 3));
            using var red = Run("linear", op => op.Set("in", black).SetFromString("a", "1 1 1").SetFromString("b", "230 20 20"));
            using var redBytes = Run("cast", op => op.Set("in", red).SetFromString("format", "uchar"));
            using var inserted = Run("insert", op => op.Set("main", photo).Set("sub", redBytes).Set("x", 0).Set("y", 0));
            return Copy(inserted, "srgb");
        }
    }

    // Inverse of what a viewer does for each EXIF orientation (see the EXIF 2.3 definition of tag 0x0112).
    private static VipsImage StoreFor(VipsImage upright, int orientation) => orientation switch
    {
        1 => Copy(upright),
        2 => Flip(upright),
        3 => Rotate(upright, "d180"),
        4 => Run("flip", op => op.Set("in", upright).SetFromString("direction", "vertical")),
        5 => RotateFlipped(upright, "d270"),
        6 => Rotate(upright, "d270"),
        7 => RotateFlipped(upright, "d90"),
        8 => Rotate(upright, "d90"),
        _ => throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "EXIF orientation is 1–8."),
    };

    private static VipsImage Flip(VipsImage image) =>
        Run("flip", op => op.Set("in", image).SetFromString("direction", "horizontal"));

    private static VipsImage Rotate(VipsImage image, string angle) =>
        Run("rot", op => op.Set("in", image).SetFromString("angle", angle));

    private static VipsImage RotateFlipped(VipsImage image, string angle)
    {
        using var flipped = Flip(image);
        return Rotate(flipped, angle);
    }

    private static VipsImage Copy(VipsImage image, string? interpretation = null) =>
        Run("copy", op =>
        {
            op.Set("in", image);
            if (interpretation is not null)
            {
                op.SetFromString("interpretation", interpretation);
            }
        });

    internal static VipsImage Run(string name, Action<VipsOperation> configure)
    {
        using var op = VipsOperation.New(name);
        configure(op);
        using var built = op.Build();
        return built.GetImage("out");
    }

    private static byte[] Save(string saver, VipsImage image, Action<VipsOperation> configure)
    {
        using var op = VipsOperation.New(saver).Set("in", image);
        configure(op);
        using var built = op.Build();
        using var blob = built.GetBlob("buffer");
        return blob.ToArray();
    }
}
