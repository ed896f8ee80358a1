using System.Net;
using System.Text.Json;

namespace ImagePipeline.Local.Tests;

/// <summary>The happy path over the real host: upload, process, and serve every output through signed URLs.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PhotoTests(LocalHost host)
{
    private static readonly int[] RecipeWidths = [320, 640, 1280, 2048];

    // sample, declared type, upload file name, oriented width and height
    private static readonly (string Sample, string Type, string FileName, int Width, int Height)[] Photos =
    [
        ("camera-gps.jpg", "image/jpeg", "Été à Paris – camera-gps.jpg", 2400, 1600),
        ("orientation-6.jpg", "image/jpeg", "orientation-6.jpg", 600, 400),
        ("alpha.png", "image/png", "alpha \"100%\" transparent.png", 400, 300),
        ("animated.gif", "image/gif", "animated.gif", 240, 160),
        ("photo.webp", "image/webp", "photo 📷.webp", 800, 600),
    ];

    [Fact(Timeout = 60_000)]
    public async Task Upload_SamplePhotos_EachReadyWithThumbnailRenditionsOriginalAndMetadata()
    {
        var api = host.Client;
        var uploads = await Task.WhenAll(Photos.Select(async photo =>
        {
            var (sample, type, fileName, width, height) = photo;
            var bytes = TestFiles.Sample(sample);
            return (Sample: sample, Type: type, FileName: fileName, Width: width, Height: height, Bytes: bytes, Id: await api.UploadAsync(bytes, fileName, type));
        }));

        foreach (var upload in uploads)
        {
            var detail = await api.WaitForStatusAsync(upload.Id, HostClient.Terminal, TimeSpan.FromSeconds(30));
            var context = $"{upload.Sample}: {detail}";
            Assert.True(detail.GetProperty("status").GetString() == "ready", context);
            Assert.Equal(upload.Id, detail.GetProperty("id").GetString());
            Assert.Equal(upload.FileName, detail.GetProperty("fileName").GetString());
            Assert.Equal(upload.Type, detail.GetProperty("contentType").GetString());
            Assert.Equal(JsonValueKind.Null, detail.GetProperty("error").ValueKind);

            // original {format, width, height, bytes}: oriented size, the exact byte count.
            var original = detail.GetProperty("original");
            Assert.Equal(upload.Type["image/".Length..], original.GetProperty("format").GetString());
            Assert.True(upload.Width == original.GetProperty("width").GetInt32() && upload.Height == original.GetProperty("height").GetInt32(), context);
            Assert.Equal(upload.Bytes.Length, original.GetProperty("bytes").GetInt64());

            await AssertThumbnailAsync(upload.Id, detail);
            await AssertRenditionsAsync(upload.Id, upload.Width, upload.Height, detail);
            await AssertOriginalDownloadAsync(upload.Id, upload.FileName, upload.Bytes);
        }

        // The synthetic camera's EXIF, as written by tests/ImagePipeline.TestImages (GPS is stored but not exposed by default).
        foreach (var sample in new[] { "camera-gps.jpg", "orientation-6.jpg" })
        {
            var metadata = (await api.DetailAsync(uploads.Single(u => u.Sample == sample).Id)).GetProperty("metadata");
            Assert.Equal("ImagePipeline", metadata.GetProperty("cameraMake").GetString());
            Assert.Equal("Synthetic Camera 1", metadata.GetProperty("cameraModel").GetString());
            Assert.Equal("Synthetic 24-70mm f/2.8", metadata.GetProperty("lensModel").GetString());
            Assert.Equal("2024-05-17T14:30:15", metadata.GetProperty("takenAt").GetString());
            Assert.Equal("1/250", metadata.GetProperty("exposureTime").GetString());
            Assert.Equal(2.8, metadata.GetProperty("fNumber").GetDouble(), 3);
            Assert.Equal(200, metadata.GetProperty("iso").GetInt32());
            Assert.Equal(50, metadata.GetProperty("focalLength").GetDouble(), 3);
            Assert.Equal(JsonValueKind.Null, metadata.GetProperty("gps").ValueKind);
        }

        // No EXIF in the PNG, GIF and WebP samples: every member present and null.
        foreach (var upload in uploads.Where(u => u.Type != "image/jpeg"))
        {
            var metadata = (await api.DetailAsync(upload.Id)).GetProperty("metadata");
            Assert.Equal(
                ["cameraMake", "cameraModel", "lensModel", "takenAt", "exposureTime", "fNumber", "iso", "focalLength", "gps"],
                metadata.EnumerateObject().Select(p => p.Name));
            Assert.All(metadata.EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
        }
    }

    private async Task AssertThumbnailAsync(string id, JsonElement detail)
    {
        var thumbnail = detail.GetProperty("thumbnail");
        Assert.Equal(256, thumbnail.GetProperty("width").GetInt32());
        Assert.Equal(256, thumbnail.GetProperty("height").GetInt32());
        Assert.Equal("webp", thumbnail.GetProperty("format").GetString());

        var location = await host.Client.RedirectAsync($"/v1/images/{id}/thumbnail");
        var (response, body) = await host.Client.FetchAsync(location);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal((256, 256), TestFiles.WebpSize(body));
        Assert.Equal(thumbnail.GetProperty("bytes").GetInt64(), body.Length);
        AssertNoMetadata(body);
    }

    private async Task AssertRenditionsAsync(string id, int width, int height, JsonElement detail)
    {
        // The recipe: every width not above the source's, or the smallest one at the source width.
        var planned = RecipeWidths.Where(w => w <= width).Select(w => ($"w{w}", w)).ToList();
        if (planned.Count == 0)
        {
            planned.Add(("w320", width));
        }

        var renditions = detail.GetProperty("renditions").EnumerateArray().ToList();
        Assert.Equal(planned.Select(p => p.Item1), renditions.Select(r => r.GetProperty("name").GetString()));
        foreach (var (rendition, (name, expectedWidth)) in renditions.Zip(planned))
        {
            Assert.Equal(expectedWidth, rendition.GetProperty("width").GetInt32());
            Assert.InRange(rendition.GetProperty("height").GetInt32(), (height * expectedWidth / width) - 1, (height * expectedWidth / width) + 1);
            Assert.Equal("webp", rendition.GetProperty("format").GetString());
            Assert.True(rendition.GetProperty("bytes").GetInt64() > 0, name);
            Assert.StartsWith(host.BaseUrl.ToString(), rendition.GetProperty("url").GetString(), StringComparison.Ordinal);
        }

        foreach (var name in new[] { "w320", "w640" })
        {
            var made = renditions.FirstOrDefault(r => r.GetProperty("name").GetString() == name);
            if (made.ValueKind == JsonValueKind.Undefined)
            {
                // Skipped: never upscaled.
                await host.Client.AssertGetProblemAsync($"/v1/images/{id}/renditions/{name}", HttpStatusCode.NotFound);
                continue;
            }

            var bytes = await host.Client.DownloadAsync(await host.Client.RedirectAsync($"/v1/images/{id}/renditions/{name}"));
            Assert.Equal((made.GetProperty("width").GetInt32(), made.GetProperty("height").GetInt32()), TestFiles.WebpSize(bytes));
            Assert.Equal(made.GetProperty("bytes").GetInt64(), bytes.Length);
            AssertNoMetadata(bytes);
        }
    }

    // Derived images carry no EXIF or XMP (so no GPS, no orientation tag).
    private static void AssertNoMetadata(byte[] webp)
    {
        var chunks = TestFiles.RiffChunks(webp);
        Assert.DoesNotContain("EXIF", chunks);
        Assert.DoesNotContain("XMP ", chunks);
    }

    private async Task AssertOriginalDownloadAsync(string id, string fileName, byte[] uploaded)
    {
        var location = await host.Client.RedirectAsync($"/v1/images/{id}/original");
        var (response, body) = await host.Client.FetchAsync(location);
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(uploaded, body);
            var disposition = response.Content.Headers.TryGetValues("Content-Disposition", out var values) ? string.Join(", ", values) : "";
            const string Extended = "filename*=UTF-8''";
            var at = disposition.IndexOf(Extended, StringComparison.Ordinal);
            Assert.True(at >= 0, $"Content-Disposition '{disposition}' has no {Extended}");
            var encoded = disposition[(at + Extended.Length)..].Split(';')[0].Trim();
            Assert.Equal(fileName, Uri.UnescapeDataString(encoded));
            Assert.StartsWith("attachment", disposition, StringComparison.Ordinal);
        }
    }
}
