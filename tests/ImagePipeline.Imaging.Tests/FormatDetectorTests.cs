using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Imaging.Tests;

public sealed class FormatDetectorTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, ImageFormat.Png)]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a' }, ImageFormat.Gif)]
    [InlineData(new byte[] { (byte)'I', (byte)'I', 42, 0 }, ImageFormat.Tiff)]
    [InlineData(new byte[] { (byte)'M', (byte)'M', 0, 42 }, ImageFormat.Tiff)]
    public void Detect_KnownSignature_ReturnsFormat(byte[] header, ImageFormat expected) =>
        Assert.Equal(expected, FormatDetector.Detect(header));

    [Theory]
    [InlineData("avif", "mif1avif", ImageFormat.Avif)]
    [InlineData("mif1", "mif1avif", ImageFormat.Avif)]
    [InlineData("heic", "mif1heic", ImageFormat.Heic)]
    [InlineData("mif1", "mif1heic", ImageFormat.Heic)]
    public void Detect_HeifBrands_TellsAvifFromHeic(string major, string compatible, ImageFormat expected)
    {
        var box = new List<byte> { 0, 0, 0, (byte)(16 + compatible.Length) };
        box.AddRange("ftyp"u8.ToArray());
        box.AddRange(System.Text.Encoding.ASCII.GetBytes(major));
        box.AddRange(new byte[4]);
        box.AddRange(System.Text.Encoding.ASCII.GetBytes(compatible));

        Assert.Equal(expected, FormatDetector.Detect(box.ToArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("<svg/>")]
    [InlineData("BM")]
    [InlineData("\0\0\0\u0018ftypqt  ")]
    public void Detect_AnythingElse_ReturnsNull(string text) =>
        Assert.Null(FormatDetector.Detect(System.Text.Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void JpegPrecision_SampleJpeg_IsEight() =>
        Assert.Equal(8, FormatDetector.JpegPrecision(Samples.Read("camera-gps.jpg")));

    [Fact]
    public void JpegPrecision_TwelveBitSof_IsTwelve()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC1, 0x00, 0x0B, 12, 0x00, 0x10, 0x00, 0x10];

        Assert.Equal(12, FormatDetector.JpegPrecision(jpeg));
    }
}
