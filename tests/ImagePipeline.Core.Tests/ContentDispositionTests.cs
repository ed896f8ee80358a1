using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Tests;

public sealed class ContentDispositionTests
{
    [Fact]
    public void For_AsciiName_QuotedFallbackAndExtendedValue()
    {
        Assert.Equal("attachment; filename=\"photo 1.jpg\"; filename*=UTF-8''photo%201.jpg", ContentDisposition.For("photo 1.jpg"));
    }

    [Fact]
    public void For_NonAsciiName_FallbackReplacesAndExtendedEncodesUtf8()
    {
        Assert.Equal(
            "attachment; filename=\"_t_ _ Paris.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%20%C3%A0%20Paris.jpg",
            ContentDisposition.For("Été à Paris.jpg"));
    }

    [Fact]
    public void For_AstralCharacter_OneReplacementAndFourUtf8Bytes()
    {
        Assert.Equal("attachment; filename=\"_.png\"; filename*=UTF-8''%F0%9F%93%B7.png", ContentDisposition.For("📷.png"));
    }

    [Fact]
    public void For_QuotesBackslashesPercentAndControls_RemovedFromTheFallback()
    {
        Assert.Equal(
            "attachment; filename=\"abc50d.jpg\"; filename*=UTF-8''a%22b%5Cc50%25d.jpg",
            ContentDisposition.For("a\"b\\c50%\r\n\td\u0000.jpg"));
    }

    [Fact]
    public void For_HeaderInjectionAttempt_StaysOneHeaderValue()
    {
        var value = ContentDisposition.For("x.jpg\r\nSet-Cookie: a=b");

        Assert.DoesNotContain('\r', value);
        Assert.DoesNotContain('\n', value);
        Assert.Equal("attachment; filename=\"x.jpgSet-Cookie: a=b\"; filename*=UTF-8''x.jpgSet-Cookie%3A%20a%3Db", value);
    }

    [Fact]
    public void For_NothingUsable_FallsBackToDownload()
    {
        Assert.Equal("attachment; filename=\"download\"", ContentDisposition.For("\u0001\u0002"));
    }

    [Fact]
    public void For_Inline_UsesTheInlineType()
    {
        Assert.StartsWith("inline; filename=\"a.png\"", ContentDisposition.For("a.png", inline: true), StringComparison.Ordinal);
    }
}
