using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Tests;

public sealed class LimitsAndCodesTests
{
    [Fact]
    public void EnsurePixelsAllowed_ProductOverflowsInt32_IsJudgedIn64Bit()
    {
        var limits = ImageLimits.Default;

        var error = Assert.Throws<ImageProcessingException>(() => limits.EnsurePixelsAllowed(65535, 65535, 1));

        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        Assert.Contains("4,294,836,225 pixels", error.Message);
    }

    [Fact]
    public void EnsurePixelsAllowed_AtTheLimit_Passes() =>
        ImageLimits.Default.EnsurePixelsAllowed(10_000, 10_000, 1);

    [Fact]
    public void EnsureBytesAllowed_OneOverFiftyMebibytes_IsTooLarge() =>
        Assert.Equal(ImageErrorCode.TooLarge, Assert.Throws<ImageProcessingException>(() => ImageLimits.Default.EnsureBytesAllowed((50L << 20) + 1)).Code);

    [Fact]
    public void Validate_NonPositiveLimit_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits(0, 1).Validate());

    [Theory]
    [InlineData(ImageErrorCode.UnsupportedFormat, "unsupported_format")]
    [InlineData(ImageErrorCode.CorruptImage, "corrupt_image")]
    [InlineData(ImageErrorCode.TooManyPixels, "too_many_pixels")]
    [InlineData(ImageErrorCode.TooLarge, "too_large")]
    [InlineData(ImageErrorCode.Internal, "internal")]
    public void ToCode_EveryCode_RoundTripsThroughItsWireName(ImageErrorCode code, string wire)
    {
        Assert.Equal(wire, code.ToCode());
        Assert.True(ImageErrorCodes.TryParse(wire, out var parsed));
        Assert.Equal(code, parsed);
    }

    [Theory]
    [InlineData("image/jpeg", ImageFormat.Jpeg)]
    [InlineData("IMAGE/PNG; charset=binary", ImageFormat.Png)]
    [InlineData("image/heif", ImageFormat.Heic)]
    [InlineData("image/avif", ImageFormat.Avif)]
    public void TryFromMediaType_AcceptedType_FindsFormat(string mediaType, ImageFormat expected)
    {
        Assert.True(ImageFormats.TryFromMediaType(mediaType, out var format));
        Assert.Equal(expected, format);
    }

    [Theory]
    [InlineData("image/svg+xml")]
    [InlineData("image/bmp")]
    [InlineData("")]
    [InlineData(null)]
    public void TryFromMediaType_OtherType_IsRefused(string? mediaType) =>
        Assert.False(ImageFormats.TryFromMediaType(mediaType, out _));
}
