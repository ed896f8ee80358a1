using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImagePipeline.Http;

namespace ImagePipeline.Local.Tests;

/// <summary>A presigned upload as <c>POST /v1/uploads</c> returned it.</summary>
public sealed record UploadTicket(string ImageId, Uri Url, IReadOnlyDictionary<string, string> Headers);

/// <summary>The client side of the API, as a browser or the CLI would use it against the running host.</summary>
public sealed class HostClient(LocalHost host)
{
    public static readonly string[] Terminal = ["ready", "failed"];

    private HttpClient Http => host.Http;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary><c>POST /v1/uploads</c> with a JSON body; the raw answer.</summary>
    public Task<HttpResponseMessage> PostUploadAsync(string fileName, string contentType, long contentLength)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["fileName"] = fileName, ["contentType"] = contentType, ["contentLength"] = contentLength });
        return Http.PostAsync("/v1/uploads", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);
    }

    /// <summary><c>POST /v1/uploads</c>, asserting 201; the image id and the PUT to send.</summary>
    public async Task<UploadTicket> CreateUploadAsync(string fileName, string contentType, long contentLength)
    {
        using var response = await PostUploadAsync(fileName, contentType, contentLength);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /v1/uploads {fileName} ({contentType}, {contentLength} bytes): {(int)response.StatusCode} {body}");
        var root = JsonDocument.Parse(body).RootElement;
        var upload = root.GetProperty("upload");
        Assert.Equal("PUT", upload.GetProperty("method").GetString());
        var headers = upload.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase);
        return new UploadTicket(root.GetProperty("imageId").GetString()!, new Uri(upload.GetProperty("url").GetString()!), headers);
    }

    /// <summary>PUTs <paramref name="body"/> to <paramref name="url"/> with exactly <paramref name="headers"/> (and no others).</summary>
    public async Task<HttpResponseMessage> PutAsync(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentLength = null;
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentLength = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else
            {
                Assert.True(request.Headers.TryAddWithoutValidation(name, value), $"header {name}: {value}");
            }
        }

        return await Http.SendAsync(request, Cancel);
    }

    /// <summary>PUTs the original as the ticket says, asserting 200.</summary>
    public async Task PutOriginalAsync(UploadTicket ticket, byte[] bytes)
    {
        using var response = await PutAsync(ticket.Url, bytes, ticket.Headers);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {ticket.Url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
    }

    /// <summary><c>POST /v1/uploads</c>, then the PUT with exactly <c>upload.headers</c>; returns the image id.</summary>
    public async Task<string> UploadAsync(byte[] bytes, string fileName, string contentType)
    {
        var ticket = await CreateUploadAsync(fileName, contentType, bytes.Length);
        await PutOriginalAsync(ticket, bytes);
        return ticket.ImageId;
    }

    /// <summary><c>GET /v1/images/{id}</c>, asserting 200.</summary>
    public async Task<JsonElement> DetailAsync(string id)
    {
        using var response = await Http.GetAsync($"/v1/images/{id}", Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/images/{id}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Polls <c>GET /v1/images/{id}</c> until its status is one of <paramref name="statuses"/>; fails (with the host's output) on timeout.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string id, IReadOnlyCollection<string> statuses, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var detail = await DetailAsync(id);
            var status = detail.GetProperty("status").GetString()!;
            if (statuses.Contains(status))
            {
                return detail;
            }

            if (stopwatch.Elapsed > timeout || !host.IsRunning)
            {
                Assert.Fail($"Image {id} is still '{status}' after {stopwatch.Elapsed.TotalSeconds:0.0} s (waiting for {string.Join('|', statuses)}; host running: {host.IsRunning}).{Environment.NewLine}{detail}{Environment.NewLine}--- host output ---{Environment.NewLine}{host.OutputTail()}");
            }

            await Task.Delay(100, Cancel);
        }
    }

    /// <summary>Uploads and waits for ready or failed.</summary>
    public async Task<JsonElement> UploadAndWaitAsync(byte[] bytes, string fileName, string contentType, TimeSpan timeout) =>
        await WaitForStatusAsync(await UploadAsync(bytes, fileName, contentType), Terminal, timeout);

    /// <summary>GET <paramref name="path"/>, asserting 302; the Location.</summary>
    public async Task<Uri> RedirectAsync(string path)
    {
        using var response = await Http.GetAsync(path, Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.Found, $"GET {path}: expected 302, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
        var location = response.Headers.Location;
        Assert.NotNull(location);
        Assert.True(location.IsAbsoluteUri, $"Location '{location}' is not absolute");
        return location;
    }

    /// <summary>GET an object URL; the answer and its body.</summary>
    public async Task<(HttpResponseMessage Response, byte[] Body)> FetchAsync(Uri url)
    {
        var response = await Http.GetAsync(url, Cancel);
        return (response, await response.Content.ReadAsByteArrayAsync(Cancel));
    }

    /// <summary>GET an object URL, asserting 200; its bytes.</summary>
    public async Task<byte[]> DownloadAsync(Uri url)
    {
        var (response, body) = await FetchAsync(url);
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
            return body;
        }
    }

    /// <summary>Asserts an RFC 9457 problem answer with <paramref name="status"/> and one of the project's problem types; returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        var type = problem.GetProperty("type").GetString();
        Assert.True(type is not null && ProblemTypes.All.Contains(type), $"{what}: the problem type '{type}' is not one of the project's.");
        return problem;
    }

    /// <summary>GET <paramref name="path"/> and assert a problem with <paramref name="status"/>.</summary>
    public async Task<JsonElement> AssertGetProblemAsync(string path, HttpStatusCode status)
    {
        using var response = await Http.GetAsync(path, Cancel);
        return await AssertProblemAsync(response, status, "GET " + path);
    }

    /// <summary>GET <c>/v1/health</c>, asserting 200; its body.</summary>
    public async Task<JsonElement> HealthAsync()
    {
        using var response = await Http.GetAsync("/v1/health", Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/health: {(int)response.StatusCode} {body}");
        var health = JsonDocument.Parse(body).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        return health;
    }
}
