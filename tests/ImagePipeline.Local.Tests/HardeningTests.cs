using System.Net;
using System.Net.Sockets;
using System.Text;
using ImagePipeline.Http;
using ImagePipeline.Testing;

namespace ImagePipeline.Local.Tests;

/// <summary>What a security test of the running host found, tried again the way an attacker would.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HardeningTests(LocalHost host)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory(Timeout = 30_000)]
    [InlineData("GET", "/v1/images")]
    [InlineData("DELETE", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab")]
    [InlineData("GET", "/")]
    [InlineData("GET", "/objects/originals/0190f0b4-7c5e-7c4e-8a3b-1234567890ab")]
    public async Task Request_ForAnotherHostName_Answers400ProblemBeforeAnyRoute(string method, string path)
    {
        // DNS rebinding: evil.example now resolves to 127.0.0.1, and its page sends its own name as Host.
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Host = $"evil.example:{host.Port}";
        request.Headers.TryAddWithoutValidation("Origin", "http://evil.example");

        using var response = await host.Http.SendAsync(request, Cancel);

        var problem = await HostClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, $"{method} {path} with Host evil.example");
        Assert.Contains("answers for", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Request_ForTheLoopbackTwin_IsServed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/health");
        request.Headers.Host = $"localhost:{host.Port}";

        using var response = await host.Http.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact(Timeout = 30_000)]
    public async Task Post_BodyOverTheWebServersLimit_Answers413Problem()
    {
        // Kestrel's own limit, not the API's: the body is never read in full.
        var answer = await RawAsync(
            $"POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1:{host.Port}\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{{}}");

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":413", answer, StringComparison.Ordinal);
        Assert.Contains($"\"type\":\"{ProblemTypes.TooLarge}\"", answer, StringComparison.Ordinal);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("GET /v1/images/%00 HTTP/1.1\r\nHost: {host}\r\n")]
    [InlineData("GET /v1/health HTTP/1.1\r\n")]
    [InlineData("GET /v1/health HTTP/1.1 extra\r\nHost: {host}\r\n")]
    public async Task UnparseableRequest_AnsweredByTheWebServer_HasAProblemBody(string head)
    {
        // Kestrel answers these itself, before any middleware: %00 in the target, no Host header, a bad request line.
        var answer = await RawAsync(head.Replace("{host}", $"127.0.0.1:{host.Port}", StringComparison.Ordinal) + "Connection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"type\":\"{ProblemTypes.InvalidRequest}\"", answer, StringComparison.Ordinal);
        Assert.EndsWith("\"status\":400,\"detail\":\"The request could not be parsed (malformed request line, target or headers, or no Host header).\"}", answer, StringComparison.Ordinal);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("DELETE")]
    [InlineData("POST")]
    public async Task Objects_UnsupportedMethod_Answers405Problem(string method)
    {
        using var response = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/objects/originals/0190f0b4-7c5e-7c4e-8a3b-1234567890ab"), Cancel);

        await HostClient.AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, $"{method} under /objects");
    }

    private async Task<string> RawAsync(string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, host.Port, Cancel);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Cancel);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(Cancel);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("*")]
    [InlineData("%2B")]
    [InlineData("%2F")]
    public async Task Objects_SignatureWithACharacterOutsideBase64Url_Answers403Problem(string garbage)
    {
        var id = (await host.Client.UploadAndWaitAsync(TestFiles.Sample("tiny.jpg"), "tiny.jpg", "image/jpeg", TimeSpan.FromSeconds(20))).GetProperty("id").GetString();
        var original = await host.Client.RedirectAsync($"/v1/images/{id}/original");
        var url = original.ToString();
        var garbled = url[..^1] + garbage;

        using var response = await host.Http.GetAsync(new Uri(garbled), Cancel);

        await HostClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "a garbled signature");
    }
}

/// <summary>Start-up refuses what would make an open or misconfigured host.</summary>
[Trait("Category", "Integration")]
public sealed class StartupRefusalTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("--auth-authorty=http://127.0.0.1:1", "Unknown option --auth-authorty")]
    [InlineData("--verbose", "Unknown option --verbose")]
    [InlineData("--auth-authority=http://127.0.0.1:1", "needs both --auth-authority URL and --auth-audience")]
    [InlineData("--auth-authority=http://192.0.2.1/ --auth-audience=a", "plain http on another machine")]
    [InlineData("--public-url=http://192.0.2.1:5080", "loopback")]
    [InlineData("--concurrency", "--concurrency needs a value")]
    public async Task Start_WithAnUnsafeOrUnknownOption_ExitsNamingTheOption(string arguments, string message)
    {
        await using var refused = new LocalHostProcess { ExtraArguments = arguments.Split(' ') };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(refused.StartAsync);

        Assert.Contains("exited with code 2", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, refused.Output, StringComparison.Ordinal);
    }
}
