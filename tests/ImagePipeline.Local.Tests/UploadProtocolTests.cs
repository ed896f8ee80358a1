using System.Net;
using System.Text.Json;
using ImagePipeline.Http;

namespace ImagePipeline.Local.Tests;

/// <summary>The signed <c>/objects</c> URLs enforce what S3 enforces for a presigned PUT/GET, over real HTTP.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class UploadProtocolTests(LocalHost host)
{
    private static readonly byte[] Photo = TestFiles.Sample("orientation-1.jpg");

    private HostClient Api => host.Client;

    [Fact(Timeout = 30_000)]
    public async Task Put_TamperedSignature_Returns403AndStoresNothing()
    {
        var ticket = await Api.CreateUploadAsync("tampered.jpg", "image/jpeg", Photo.Length);
        var url = ticket.Url.ToString();
        var sig = url.IndexOf("sig=", StringComparison.Ordinal) + "sig=".Length;
        var tampered = new Uri(url[..sig] + (url[sig] == 'A' ? 'B' : 'A') + url[(sig + 1)..]);

        using (var response = await Api.PutAsync(tampered, Photo, ticket.Headers))
        {
            var problem = await HostClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "PUT with a tampered signature");
            Assert.Equal(ProblemTypes.Forbidden, problem.GetProperty("type").GetString());
        }

        // A longer signed length than was granted is a tampered URL too.
        var longer = new Uri(url.Replace($"length={Photo.Length}", $"length={Photo.Length + 1}", StringComparison.Ordinal));
        var headers = new Dictionary<string, string>(ticket.Headers) { ["Content-Length"] = (Photo.Length + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using (var response = await Api.PutAsync(longer, [.. Photo, 0], headers))
        {
            await HostClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "PUT with a changed signed length");
        }

        await Api.PutOriginalAsync(ticket, Photo);
    }

    [Fact(Timeout = 30_000)]
    public async Task Put_WrongContentType_Returns403AndStoresNothing()
    {
        var ticket = await Api.CreateUploadAsync("type.jpg", "image/jpeg", Photo.Length);
        var headers = new Dictionary<string, string>(ticket.Headers) { ["Content-Type"] = "image/png" };
        using (var response = await Api.PutAsync(ticket.Url, Photo, headers))
        {
            await HostClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "PUT with another Content-Type");
        }

        await Api.PutOriginalAsync(ticket, Photo);
    }

    [Fact(Timeout = 30_000)]
    public async Task Put_ContentLengthNotAsSigned_Returns400AndStoresNothing()
    {
        var ticket = await Api.CreateUploadAsync("length.jpg", "image/jpeg", Photo.Length);
        var shorter = Photo[..^1];
        var headers = new Dictionary<string, string>(ticket.Headers) { ["Content-Length"] = shorter.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using (var response = await Api.PutAsync(ticket.Url, shorter, headers))
        {
            await HostClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "PUT with a shorter Content-Length");
        }

        await Api.PutOriginalAsync(ticket, Photo);
    }

    [Fact(Timeout = 30_000)]
    public async Task Put_WithoutIfNoneMatch_Returns400AndStoresNothing()
    {
        var ticket = await Api.CreateUploadAsync("overwrite.jpg", "image/jpeg", Photo.Length);
        var headers = ticket.Headers.Where(h => !h.Key.Equals("If-None-Match", StringComparison.OrdinalIgnoreCase)).ToDictionary();
        using (var response = await Api.PutAsync(ticket.Url, Photo, headers))
        {
            await HostClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, "PUT without If-None-Match");
        }

        await Api.PutOriginalAsync(ticket, Photo);
    }

    [Fact(Timeout = 30_000)]
    public async Task Put_SecondTime_Returns412AndKeepsTheFirstOriginal()
    {
        var ticket = await Api.CreateUploadAsync("twice.jpg", "image/jpeg", Photo.Length);
        await Api.PutOriginalAsync(ticket, Photo);
        var other = TestFiles.Sample("orientation-2.jpg")[..Photo.Length];
        using (var response = await Api.PutAsync(ticket.Url, other, ticket.Headers))
        {
            var problem = await HostClient.AssertProblemAsync(response, HttpStatusCode.PreconditionFailed, "second PUT");
            Assert.Equal(ProblemTypes.AlreadyUploaded, problem.GetProperty("type").GetString());
        }

        await Api.WaitForStatusAsync(ticket.ImageId, HostClient.Terminal, TimeSpan.FromSeconds(30));
        Assert.Equal(Photo, await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{ticket.ImageId}/original")));
    }

    [Fact(Timeout = 30_000)]
    public async Task CreateUpload_OverFiftyMebibytes_Returns413()
    {
        using var response = await Api.PostUploadAsync("huge.jpg", "image/jpeg", (50L * 1024 * 1024) + 1);
        await HostClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "POST /v1/uploads over 50 MiB");
        var atTheLimit = await Api.CreateUploadAsync("limit.jpg", "image/jpeg", 50L * 1024 * 1024);
        Assert.Equal((50L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), atTheLimit.Headers["Content-Length"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Put_AboveKestrelsDefaultBodyLimit_IsStoredAndJudgedByItsBytes()
    {
        // 40 MiB: within the 50 MiB upload limit, above Kestrel's default 30 MB request body limit.
        var bytes = new byte[40 * 1024 * 1024];
        new Random(40).NextBytes(bytes);
        var detail = await Api.UploadAndWaitAsync(bytes, "noise.jpg", "image/jpeg", TimeSpan.FromSeconds(45));
        Assert.Equal("failed", detail.GetProperty("status").GetString());
        Assert.Equal("unsupported_format", detail.GetProperty("error").GetProperty("code").GetString());
        var original = await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{detail.GetProperty("id").GetString()}/original"));
        Assert.True(bytes.AsSpan().SequenceEqual(original), "the stored original differs from the uploaded bytes");
    }

    [Fact(Timeout = 30_000)]
    public async Task CreateUpload_SvgContentType_Returns415()
    {
        using var response = await Api.PostUploadAsync("drawing.svg", "image/svg+xml", 300);
        await HostClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "POST /v1/uploads image/svg+xml");
    }

    [Fact(Timeout = 30_000)]
    public async Task Download_TamperedSignature_Returns403()
    {
        // The original is served once the pipeline has seen it (pending until then).
        var id = (await Api.UploadAndWaitAsync(Photo, "download.jpg", "image/jpeg", TimeSpan.FromSeconds(30))).GetProperty("id").GetString()!;
        var url = (await Api.RedirectAsync($"/v1/images/{id}/original")).ToString();
        var sig = url.IndexOf("sig=", StringComparison.Ordinal) + "sig=".Length;
        Uri[] forged =
        [
            new(url[..sig] + (url[sig] == 'A' ? 'B' : 'A') + url[(sig + 1)..]),
            new(url.Replace("filename=download.jpg", "filename=evil.html", StringComparison.Ordinal)),
            new(url[..(url.IndexOf('?', StringComparison.Ordinal) + 1)] + "expires=4102444800&" + url[(sig - "sig=".Length)..]),
        ];
        foreach (var tampered in forged)
        {
            var (response, _) = await Api.FetchAsync(tampered);
            using (response)
            {
                await HostClient.AssertProblemAsync(response, HttpStatusCode.Forbidden, "GET " + tampered);
            }
        }

        Assert.Equal(Photo, await Api.DownloadAsync(new Uri(url)));
    }

    [Fact(Timeout = 30_000)]
    public async Task GetImage_NotAUuid_Returns404()
    {
        await Api.AssertGetProblemAsync("/v1/images/not-a-uuid", HttpStatusCode.NotFound);
        await Api.AssertGetProblemAsync("/v1/images/not-a-uuid/thumbnail", HttpStatusCode.NotFound);
        await Api.AssertGetProblemAsync($"/v1/images/{Guid.CreateVersion7()}", HttpStatusCode.NotFound);
    }

    [Fact(Timeout = 60_000)]
    public async Task Delete_ReadyImage_Returns404ForTheImageAndEveryObjectUrl()
    {
        var detail = await Api.UploadAndWaitAsync(Photo, "delete-me.jpg", "image/jpeg", TimeSpan.FromSeconds(30));
        Assert.Equal("ready", detail.GetProperty("status").GetString());
        var id = detail.GetProperty("id").GetString()!;
        List<Uri> urls =
        [
            await Api.RedirectAsync($"/v1/images/{id}/original"),
            await Api.RedirectAsync($"/v1/images/{id}/thumbnail"),
            new(detail.GetProperty("thumbnail").GetProperty("url").GetString()!),
            .. detail.GetProperty("renditions").EnumerateArray().Select(r => new Uri(r.GetProperty("url").GetString()!)),
        ];
        foreach (var url in urls)
        {
            Assert.NotEmpty(await Api.DownloadAsync(url));
        }

        using (var response = await host.Http.DeleteAsync($"/v1/images/{id}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await Api.AssertGetProblemAsync($"/v1/images/{id}", HttpStatusCode.NotFound);
        await Api.AssertGetProblemAsync($"/v1/images/{id}/thumbnail", HttpStatusCode.NotFound);
        await Api.AssertGetProblemAsync($"/v1/images/{id}/original", HttpStatusCode.NotFound);
        foreach (var url in urls)
        {
            var (response, _) = await Api.FetchAsync(url);
            using (response)
            {
                await HostClient.AssertProblemAsync(response, HttpStatusCode.NotFound, "GET (after delete) " + url);
            }
        }

        using (var again = await host.Http.DeleteAsync($"/v1/images/{id}", TestContext.Current.CancellationToken))
        {
            await HostClient.AssertProblemAsync(again, HttpStatusCode.NotFound, "second DELETE");
        }

        var page = JsonDocument.Parse(await host.Http.GetStringAsync("/v1/images?limit=100", TestContext.Current.CancellationToken)).RootElement;
        Assert.DoesNotContain(page.GetProperty("items").EnumerateArray(), item => item.GetProperty("id").GetString() == id);
    }

    [Fact(Timeout = 30_000)]
    public async Task GetPage_AtLocalhostTwin_RedirectsToTheAddressUploadUrlsAreSignedFor()
    {
        var ct = TestContext.Current.CancellationToken;
        using var viaLocalhost = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUrl, "/"));
        viaLocalhost.Headers.Host = $"localhost:{host.Port}";
        using var page = await host.Http.SendAsync(viaLocalhost, ct);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, page.StatusCode);
        Assert.Equal(new Uri(host.BaseUrl, "/"), page.Headers.Location);

        // The API itself answers under either name.
        using var viaLocalhostApi = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseUrl, "/v1/health"));
        viaLocalhostApi.Headers.Host = $"localhost:{host.Port}";
        using var health = await host.Http.SendAsync(viaLocalhostApi, ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
