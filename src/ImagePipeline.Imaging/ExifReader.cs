using System.Globalization;
using System.Runtime.InteropServices;
using ImagePipeline.Core.Imaging;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace ImagePipeline.Imaging;

/// <summary>Reads the catalog's EXIF subset. Metadata is descriptive: broken or absent EXIF yields nulls, never a failure.</summary>
internal static class ExifReader
{
    public static ImageMetadata Read(ReadOnlyMemory<byte> original)
    {
        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            using var stream = MemoryMarshal.TryGetArray(original, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(original.ToArray(), writable: false);
            directories = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The pixels decide whether an image is usable; a malformed metadata segment only loses metadata.
            return ImageMetadata.Empty;
        }

        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var sub = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();

        return new ImageMetadata(
            CameraMake: Text(ifd0, ExifDirectoryBase.TagMake),
            CameraModel: Text(ifd0, ExifDirectoryBase.TagModel),
            LensModel: Text(sub, ExifDirectoryBase.TagLensModel),
            TakenAt: Timestamp(Text(sub, ExifDirectoryBase.TagDateTimeOriginal))
                ?? Timestamp(Text(sub, ExifDirectoryBase.TagDateTimeDigitized))
                ?? Timestamp(Text(ifd0, ExifDirectoryBase.TagDateTime)),
            ExposureTime: Exposure(sub),
            FNumber: Decimal(sub, ExifDirectoryBase.TagFNumber),
            Iso: sub is not null && sub.TryGetInt32(ExifDirectoryBase.TagIsoEquivalent, out var iso) && iso > 0 ? iso : null,
            FocalLength: Decimal(sub, ExifDirectoryBase.TagFocalLength),
            Gps: Location(gps));
    }

    /// <summary>EXIF <c>YYYY:MM:DD HH:MM:SS</c> to <c>YYYY-MM-DDTHH:MM:SS</c>; anything unparsable (e.g. all zeros) is null.</summary>
    internal static string? Timestamp(string? exif)
    {
        if (exif is null || exif.Length < 19)
        {
            return null;
        }

        return DateTime.TryParseExact(exif[..19], "yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Exposure as photographers write it: <c>1/250</c> below a second, <c>2</c> or <c>2.5</c> above.</summary>
    internal static string? FormatExposure(double seconds)
    {
        if (!(seconds > 0) || double.IsInfinity(seconds))
        {
            return null;
        }

        return seconds >= 1
            ? Math.Round(seconds, 1).ToString("0.#", CultureInfo.InvariantCulture)
            : "1/" + Math.Round(1 / seconds).ToString("0", CultureInfo.InvariantCulture);
    }

    private static string? Exposure(ExifSubIfdDirectory? sub) =>
        sub is not null && sub.TryGetRational(ExifDirectoryBase.TagExposureTime, out var value) && value.Denominator != 0
            ? FormatExposure(value.ToDouble())
            : null;

    private static double? Decimal(MetadataExtractor.Directory? directory, int tag) =>
        directory is not null && directory.TryGetRational(tag, out var value) && value.Denominator != 0 && value.ToDouble() > 0
            ? Math.Round(value.ToDouble(), 2)
            : null;

    private static GpsLocation? Location(GpsDirectory? gps)
    {
        if (gps?.GetGeoLocation() is not { } location || location.IsZero)
        {
            return null;
        }

        double? altitude = null;
        if (gps.TryGetRational(GpsDirectory.TagAltitude, out var meters) && meters.Denominator != 0)
        {
            var below = gps.TryGetByte(GpsDirectory.TagAltitudeRef, out var reference) && reference == 1;
            altitude = Math.Round(below ? -meters.ToDouble() : meters.ToDouble(), 2);
        }

        return new GpsLocation(Math.Round(location.Latitude, 7), Math.Round(location.Longitude, 7), altitude);
    }

    private static string? Text(MetadataExtractor.Directory? directory, int tag)
    {
        var text = directory?.GetString(tag);
        if (text is null)
        {
            return null;
        }

        // Cameras pad with NULs and spaces; control characters never reach the catalog.
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return clean.Length == 0 ? null : clean.Length > 255 ? clean[..255] : clean;
    }
}
