using System.Text;
using System.Text.Json;
using ImagePipeline.Functions.Events;
using ImagePipeline.Functions.Handlers;
using ImagePipeline.Http;

namespace ImagePipeline.Functions.Tests;

public sealed class HttpApiMappingTests
{
    private static HttpApiRequest GoldenRequest() =>
        JsonSerializer.Deserialize(Golden.Bytes("apigw-v2-request.json"), FunctionJsonContext.Default.HttpApiRequest)!;

    [Fact]
    public void ToApiRequest_GoldenRequest_MapsMethodRawPathQueryHeadersAndCookies()
    {
        var request = HttpApiMapping.ToApiRequest(GoldenRequest(), out var rejection)!;

        Assert.Null(rejection);
        Assert.Equal(("GET", "/v1/images"), (request.Method, request.Path));
        Assert.Equal("5", request.Query["limit"]);
        Assert.Equal("abc+def", request.Query["cursor"]);
        Assert.Equal("application/json", request.Header("Content-Type"));
        Assert.Equal("curl/8.5.0", request.Header("USER-AGENT"));
        Assert.Equal("session=abc", request.Header("cookie"));
        Assert.True(request.Body.IsEmpty);
    }

    [Fact]
    public void ToApiRequest_FunctionUrlRequest_MapsPostBase64BodyCookiesAndJoinedHeader()
    {
        var golden = JsonSerializer.Deserialize(Golden.Bytes("lambda-url-request.json"), FunctionJsonContext.Default.HttpApiRequest)!;

        var request = HttpApiMapping.ToApiRequest(golden, out var rejection)!;

        Assert.Null(rejection);
        Assert.Equal("2.0", golden.Version);
        Assert.Null(golden.RequestContext!.Stage);
        Assert.EndsWith(".lambda-url.us-east-1.on.aws", golden.RequestContext.DomainName, StringComparison.Ordinal);
        Assert.Equal(("POST", "/v1/uploads"), (request.Method, request.Path));
        Assert.Empty(request.Query);
        Assert.Equal("""{"fileName":"holiday photo.jpg","contentType":"image/jpeg","contentLength":48213}""", Encoding.UTF8.GetString(request.Body.Span));
        Assert.Equal("session=abc; theme=dark", request.Header("Cookie"));
        Assert.Equal("application/json,text/plain", request.Header("Accept"));
        Assert.Equal("application/json", request.Header("Content-Type"));
    }

    [Fact]
    public void ToApiRequest_SeveralCookiesAndCommaJoinedHeader_KeepsBoth()
    {
        var request = GoldenRequest() with
        {
            Cookies = ["a=1", "b=2"],
            Headers = new Dictionary<string, string> { ["accept"] = "application/json,text/plain", ["Accept"] = "*/*" },
        };

        var mapped = HttpApiMapping.ToApiRequest(request, out _)!;

        Assert.Equal("a=1; b=2", mapped.Header("Cookie"));
        Assert.Equal("application/json,text/plain,*/*", mapped.Header("accept"));
    }

    [Fact]
    public void ToApiRequest_Base64Body_IsDecoded()
    {
        var json = """{"fileName":"ä.jpg","contentType":"image/jpeg","contentLength":10}""";
        var request = GoldenRequest() with { Body = Convert.ToBase64String(Encoding.UTF8.GetBytes(json)), IsBase64Encoded = true };

        var mapped = HttpApiMapping.ToApiRequest(request, out _)!;

        Assert.Equal(json, Encoding.UTF8.GetString(mapped.Body.Span));
    }

    [Fact]
    public void ToApiRequest_TextBody_IsUtf8Bytes()
    {
        var mapped = HttpApiMapping.ToApiRequest(GoldenRequest() with { Body = "{\"a\":\"é\"}" }, out _)!;

        Assert.Equal("{\"a\":\"é\"}"u8.ToArray(), mapped.Body.ToArray());
    }

    [Fact]
    public void ToApiRequest_InvalidBase64_Rejected400()
    {
        var mapped = HttpApiMapping.ToApiRequest(GoldenRequest() with { Body = "not base64!", IsBase64Encoded = true }, out var rejection);

        Assert.Null(mapped);
        Assert.Equal(400, rejection!.Status);
        Assert.Equal(ApiResponse.ProblemMediaType, rejection.ContentType);
    }

    [Fact]
    public void ToApiRequest_OversizedBody_CutJustAboveTheApiLimit()
    {
        var mapped = HttpApiMapping.ToApiRequest(GoldenRequest() with { Body = new string('x', 100_000) }, out _)!;

        Assert.Equal(ImageApi.MaxRequestBodyBytes + 1, mapped.Body.Length);
    }

    [Fact]
    public void ToApiRequest_NoMethod_Throws()
    {
        Assert.Throws<InvalidDataException>(() => HttpApiMapping.ToApiRequest(GoldenRequest() with { RequestContext = null }, out _));
    }

    [Fact]
    public void ToHttpApiResponse_Json_BodyAsText()
    {
        var response = ApiResponse.Bytes(200, "application/json", "{\"ok\":\"é\"}"u8.ToArray());

        var mapped = HttpApiMapping.ToHttpApiResponse(response);

        Assert.Equal((200, "{\"ok\":\"é\"}", false), (mapped.StatusCode, mapped.Body, mapped.IsBase64Encoded));
        Assert.Equal("application/json", mapped.Headers["Content-Type"]);
        Assert.Equal("no-store", mapped.Headers["Cache-Control"]);
        Assert.Null(mapped.Cookies);
    }

    [Fact]
    public void ToHttpApiResponse_Binary_BodyAsBase64()
    {
        byte[] webp = [0x52, 0x49, 0x46, 0x46, 0x00, 0xff, 0x10];

        var mapped = HttpApiMapping.ToHttpApiResponse(ApiResponse.Bytes(200, "image/webp", webp));

        Assert.True(mapped.IsBase64Encoded);
        Assert.Equal(webp, Convert.FromBase64String(mapped.Body));
    }

    [Fact]
    public void ToHttpApiResponse_RedirectAndSetCookie_LocationKeptCookieMoved()
    {
        var redirect = ApiResponse.Redirect(new Uri("https://bucket.s3.amazonaws.com/k?X-Amz-Signature=a%2Fb"));
        var withCookie = redirect with { Headers = new Dictionary<string, string>(redirect.Headers) { ["Set-Cookie"] = "s=1; HttpOnly" } };

        var mapped = HttpApiMapping.ToHttpApiResponse(withCookie);

        Assert.Equal(302, mapped.StatusCode);
        Assert.Equal("https://bucket.s3.amazonaws.com/k?X-Amz-Signature=a%2Fb", mapped.Headers["Location"]);
        Assert.Equal(["s=1; HttpOnly"], mapped.Cookies);
        Assert.False(mapped.Headers.ContainsKey("Set-Cookie"));
        Assert.Equal(("", false), (mapped.Body, mapped.IsBase64Encoded));
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/problem+json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("text/html", true)]
    [InlineData("image/svg+xml", true)]
    [InlineData("image/webp", false)]
    [InlineData("application/octet-stream", false)]
    [InlineData(null, false)]
    public void IsText_MediaTypes_JsonAndTextOnly(string? contentType, bool expected)
    {
        Assert.Equal(expected, HttpApiMapping.IsText(contentType));
    }
}
