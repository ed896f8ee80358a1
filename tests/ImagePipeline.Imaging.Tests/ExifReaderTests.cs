namespace ImagePipeline.Imaging.Tests;

public sealed class ExifReaderTests
{
    [Theory]
    [InlineData(0.004, "1/250")]
    [InlineData(1.0 / 60, "1/60")]
    [InlineData(0.5, "1/2")]
    [InlineData(2.0, "2")]
    [InlineData(2.5, "2.5")]
    [InlineData(0.0, null)]
    public void FormatExposure_Seconds_WrittenAsPhotographersDo(double seconds, string? expected) =>
        Assert.Equal(expected, ExifReader.FormatExposure(seconds));

    [Theory]
    [InlineData("2021:04:11 15:47:53", "2021-04-11T15:47:53")]
    [InlineData("2019:10:14 15:00:20+00:00", "2019-10-14T15:00:20")]
    [InlineData("0000:00:00 00:00:00", null)]
    [InlineData("garbage", null)]
    public void Timestamp_ExifDate_BecomesIsoLocalTime(string exif, string? expected) =>
        Assert.Equal(expected, ExifReader.Timestamp(exif));

    [Fact]
    public void Read_NotAnImage_ReturnsEmptyMetadataInsteadOfThrowing() =>
        Assert.Equal(Core.Imaging.ImageMetadata.Empty, ExifReader.Read("not an image"u8.ToArray()));
}
