namespace ImagePipeline.Http.Tests;

public sealed class ApiRequestTests
{
    [Fact]
    public void ParseQuery_RepeatedName_KeepsTheLastValue()
    {
        var query = ApiRequest.ParseQuery("?limit=1&limit=7");

        Assert.Equal("7", query["limit"]);
    }

    [Fact]
    public void ParseQuery_EscapesAndPlus_AreDecoded()
    {
        var query = ApiRequest.ParseQuery("cursor=a%2Bb%3D&name=two+words&flag&=orphan&&x=");

        Assert.Equal("a+b=", query["cursor"]);
        Assert.Equal("two words", query["name"]);
        Assert.Equal("", query["flag"]);
        Assert.Equal("", query["x"]);
        Assert.Equal(4, query.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("?")]
    public void ParseQuery_Empty_ReturnsNoParameters(string? raw)
    {
        Assert.Empty(ApiRequest.ParseQuery(raw));
    }

    [Fact]
    public void Headers_CaseSensitiveDictionary_AreLookedUpCaseInsensitively()
    {
        var request = new ApiRequest(
            "GET", "/v1/health", ApiRequest.None, new Dictionary<string, string>(StringComparer.Ordinal) { ["content-type"] = "x" }, default);

        Assert.Equal("x", request.Header("Content-Type"));
        Assert.Equal("x", request.Headers["CONTENT-TYPE"]);
    }

    [Fact]
    public void Headers_ReplacedWithWith_StayCaseInsensitive()
    {
        var request = ApiRequest.Create("GET", "/v1/health") with { Headers = new Dictionary<string, string> { ["authorization"] = "Bearer t" } };

        Assert.Equal("Bearer t", request.Header("Authorization"));
    }

    [Fact]
    public void Create_RawQuery_IsParsed()
    {
        var request = ApiRequest.Create("GET", "/v1/images", "limit=5&cursor=abc");

        Assert.Equal(("5", "abc"), (request.Query["limit"], request.Query["cursor"]));
        Assert.Null(request.Header("Content-Type"));
        Assert.True(request.Body.IsEmpty);
    }

    [Fact]
    public void UrlText_AbsoluteUrl_KeepsPercentEscapes()
    {
        var url = new Uri("https://bucket.s3.amazonaws.com/originals/x?X-Amz-Signature=ab%2Fcd&response-content-disposition=attachment%3B%20filename%2A%3DUTF-8%27%27%C3%89t%C3%A9.jpg");

        Assert.Equal(
            "https://bucket.s3.amazonaws.com/originals/x?X-Amz-Signature=ab%2Fcd&response-content-disposition=attachment%3B%20filename%2A%3DUTF-8%27%27%C3%89t%C3%A9.jpg",
            ApiResponse.UrlText(url));
    }
}
