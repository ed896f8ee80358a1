using ImagePipeline.Local.Endpoints;

namespace ImagePipeline.Contract.Tests.Local;

public sealed class LoopbackTwinRedirectTests
{
    private static readonly Uri Canonical = new("http://127.0.0.1:5080");

    [Theory]
    [InlineData("localhost", "/", "", "http://127.0.0.1:5080/")]
    [InlineData("LOCALHOST", "/index.html", "", "http://127.0.0.1:5080/index.html")]
    [InlineData("[::1]", "/", "?x=1", "http://127.0.0.1:5080/?x=1")]
    public void Target_PageAtLoopbackTwin_RedirectsToTheCanonicalHost(string host, string path, string query, string expected)
    {
        Assert.Equal(new Uri(expected), LoopbackTwinRedirect.Target(Canonical, "GET", host, 5080, path, query));
    }

    [Fact]
    public void Target_CanonicalIsLocalhost_RedirectsFrom127001()
    {
        Assert.Equal(
            new Uri("http://localhost:5080/app.js"),
            LoopbackTwinRedirect.Target(new Uri("http://localhost:5080"), "GET", "127.0.0.1", 5080, "/app.js", ""));
    }

    [Theory]
    [InlineData("GET", "127.0.0.1", 5080, "/")]          // already canonical
    [InlineData("GET", "localhost", 5080, "/v1/health")] // API clients may use either name
    [InlineData("GET", "localhost", 5080, "/v1")]
    [InlineData("PUT", "localhost", 5080, "/objects/originals/x")]
    [InlineData("GET", "localhost", 5080, "/objects/derived/x")]
    [InlineData("POST", "localhost", 5080, "/")]         // only navigations
    [InlineData("GET", "localhost", 9999, "/")]          // another port is another server
    [InlineData("GET", "photos.example", 5080, "/")]     // not a loopback name
    public void Target_NotAPageAtALoopbackTwin_ReturnsNull(string method, string host, int port, string path)
    {
        Assert.Null(LoopbackTwinRedirect.Target(Canonical, method, host, port, path, ""));
    }

    [Fact]
    public void Target_CanonicalNotLoopback_ReturnsNull()
    {
        Assert.Null(LoopbackTwinRedirect.Target(new Uri("http://192.168.1.20:5080"), "GET", "localhost", 5080, "/", ""));
    }
}
