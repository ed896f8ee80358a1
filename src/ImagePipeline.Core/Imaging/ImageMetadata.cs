namespace ImagePipeline.Core.Imaging;

/// <summary>The EXIF subset the catalog keeps. Every member is null when the original does not carry it.</summary>
/// <param name="CameraMake">EXIF Make.</param>
/// <param name="CameraModel">EXIF Model.</param>
/// <param name="LensModel">EXIF LensModel.</param>
/// <param name="TakenAt">DateTimeOriginal as local time <c>YYYY-MM-DDTHH:MM:SS</c>, no zone.</param>
/// <param name="ExposureTime">Exposure time as a photographer writes it: <c>1/250</c>, <c>2</c>.</param>
/// <param name="FNumber">Aperture f-number.</param>
/// <param name="Iso">ISO speed.</param>
/// <param name="FocalLength">Focal length in millimetres.</param>
/// <param name="Gps">Location, when recorded. Stored, never written into a derived image.</param>
public sealed record ImageMetadata(
    string? CameraMake,
    string? CameraModel,
    string? LensModel,
    string? TakenAt,
    string? ExposureTime,
    double? FNumber,
    int? Iso,
    double? FocalLength,
    GpsLocation? Gps)
{
    /// <summary>Metadata with every member absent.</summary>
    public static ImageMetadata Empty { get; } = new(null, null, null, null, null, null, null, null, null);
}

/// <summary>A GPS position in decimal degrees; altitude in metres above sea level.</summary>
/// <param name="Latitude">Degrees, north positive.</param>
/// <param name="Longitude">Degrees, east positive.</param>
/// <param name="Altitude">Metres, below sea level negative; null when not recorded.</param>
public sealed record GpsLocation(double Latitude, double Longitude, double? Altitude);
