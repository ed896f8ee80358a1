using NetVips;

namespace ImagePipeline.TestImages;

/// <summary>
/// Photo-like test images made with libvips: smooth large-scale shapes, finer structure and sensor-like noise, so
/// they compress and resize like camera photos. The upright picture has a red block in its top-left corner, which
/// tells a test whether orientation was applied.
/// </summary>
public static class SyntheticImages
{
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
        using var tagged = stored.Mutate(image =>
        {
            if (exif is not null)
            {
                image.Set(GValue.BlobType, "exif-data", ExifBuilder.Build(exif, orientation));
            }

            image.Set(GValue.GIntType, "orientation", orientation);
        });
        return tagged.JpegsaveBuffer(q: quality);
    }

    /// <summary>An RGBA PNG whose alpha runs from opaque to fully transparent.</summary>
    public static byte[] AlphaPng(int width, int height)
    {
        using var photo = Photo(width, height, seed: 7, marker: false);
        using var alpha = Image.Perlin(width, height, cellSize: Math.Max(8, width / 3), uchar: true, seed: 11);
        using var withAlpha = photo.Bandjoin(alpha);
        using var srgb = withAlpha.Copy(interpretation: Enums.Interpretation.Srgb);
        return srgb.PngsaveBuffer(compression: 9);
    }

    /// <summary>A lossy WebP photo.</summary>
    public static byte[] PhotoWebp(int width, int height)
    {
        using var photo = Photo(width, height, seed: 3, marker: true);
        return photo.WebpsaveBuffer(q: 80);
    }

    /// <summary>An animated GIF of <paramref name="frames"/> differently tinted frames.</summary>
    public static byte[] AnimatedGif(int width, int height, int frames)
    {
        Image? strip = null;
        try
        {
            for (var i = 0; i < frames; i++)
            {
                using var frame = Photo(width, height, seed: 20 + i, marker: i == 0);
                if (strip is null)
                {
                    strip = frame.Copy();
                    continue;
                }

                var joined = strip.Join(frame, Enums.Direction.Vertical);
                strip.Dispose();
                strip = joined;
            }

            using var animated = strip!.Mutate(image =>
            {
                image.Set(GValue.GIntType, "page-height", height);
                image.Set(GValue.GIntType, "loop", 0);
            });
            return animated.GifsaveBuffer();
        }
        finally
        {
            strip?.Dispose();
        }
    }

    /// <summary>A tiny PNG whose header claims <paramref name="width"/>×<paramref name="height"/> (a decompression bomb).</summary>
    public static byte[] HugeFlatPng(int width, int height)
    {
        using var black = Image.Black(width, height);
        return black.PngsaveBuffer(compression: 9, bitdepth: 1);
    }

    private static Image Photo(int width, int height, int seed, bool marker, double noise = 4)
    {
        using var shapes = Image.Perlin(width, height, cellSize: Math.Max(16, width / 5), seed: seed);
        using var detail = Image.Perlin(width, height, cellSize: Math.Max(4, width / 60), seed: seed + 1000);
        using var tint = Image.Perlin(width, height, cellSize: Math.Max(16, width / 3), seed: seed + 2000);
        using var grainNoise = Image.Gaussnoise(width, height, sigma: noise, mean: 0.0, seed: seed + 3000);

        // perlin is float in [-1, 1]: luminance from shapes and detail, colour from a slower field, then noise.
        using var l1 = shapes.Linear([90], [128]);
        using var l2 = detail.Linear([35], [0]);
        using var luminance = l1.Add(l2);
        using var grain = luminance.Add(grainNoise);
        using var colour = tint.Linear([60, 10, -55], [0, 0, 0]);
        using var rgb = grain.Add(colour);
        using var bytes = rgb.Cast(Enums.BandFormat.Uchar);
        var photo = bytes.Copy(interpretation: Enums.Interpretation.Srgb);
        if (!marker)
        {
            return photo;
        }

        using (photo)
        {
            using var black = Image.Black(Math.Max(1, width / 4), Math.Max(1, height / 4), bands: 3);
            using var red = black.Linear([1, 1, 1], [230, 20, 20]);
            using var redBytes = red.Cast(Enums.BandFormat.Uchar);
            using var inserted = photo.Insert(redBytes, 0, 0);
            return inserted.Copy(interpretation: Enums.Interpretation.Srgb);
        }
    }

    // Inverse of what a viewer does for each EXIF orientation (see the EXIF 2.3 definition of tag 0x0112).
    private static Image StoreFor(Image upright, int orientation) => orientation switch
    {
        1 => upright.Copy(),
        2 => upright.Flip(Enums.Direction.Horizontal),
        3 => upright.Rot(Enums.Angle.D180),
        4 => upright.Flip(Enums.Direction.Vertical),
        5 => RotateFlipped(upright, Enums.Angle.D270),
        6 => upright.Rot(Enums.Angle.D270),
        7 => RotateFlipped(upright, Enums.Angle.D90),
        8 => upright.Rot(Enums.Angle.D90),
        _ => throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "EXIF orientation is 1–8."),
    };

    private static Image RotateFlipped(Image image, Enums.Angle angle)
    {
        using var flipped = image.Flip(Enums.Direction.Horizontal);
        return flipped.Rot(angle);
    }
}
