using System.Net;
using System.Text;
using System.Text.Json;

namespace ImagePipeline.Local.Tests;

/// <summary>Broken and hostile uploads end <c>failed</c> with the right code, and the host keeps serving.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HostileFileTests(LocalHost host)
{
    private const string Svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200">
          <image xlink:href="http://127.0.0.1:1/ssrf.jpg" width="200" height="200"/>
          <rect width="100" height="100" fill="red"/>
        </svg>
        """;

    [Fact(Timeout = 60_000)]
    public async Task Upload_BrokenOrHostileFiles_FailWithErrorCodeAndHostKeepsServing()
    {
        var api = host.Client;
        (string Name, byte[] Bytes, string Type, string Code)[] cases =
        [
            ("broken-truncated.jpg", TestFiles.Sample("broken-truncated.jpg"), "image/jpeg", "corrupt_image"),
            ("bomb-120mp.png", TestFiles.Sample("bomb-120mp.png"), "image/png", "too_many_pixels"),
            ("broken-text.jpg", TestFiles.Sample("broken-text.jpg"), "image/jpeg", "unsupported_format"),
            ("drawing.jpg", Encoding.UTF8.GetBytes(Svg), "image/jpeg", "unsupported_format"),
        ];
        var ids = await Task.WhenAll(cases.Select(c => api.UploadAsync(c.Bytes, c.Name, c.Type)));

        foreach (var (c, id) in cases.Zip(ids))
        {
            var detail = await api.WaitForStatusAsync(id, HostClient.Terminal, TimeSpan.FromSeconds(30));
            Assert.True(detail.GetProperty("status").GetString() == "failed", $"{c.Name}: {detail}");
            var error = detail.GetProperty("error");
            Assert.True(error.GetProperty("code").GetString() == c.Code, $"{c.Name}: expected {c.Code}: {detail}");
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
            Assert.Empty(detail.GetProperty("renditions").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, detail.GetProperty("thumbnail").ValueKind);
            Assert.Equal(JsonValueKind.Null, detail.GetProperty("thumbnailUrl").ValueKind);

            // Nothing was made: 409 naming the image's status, never a 302 or a 500.
            var problem = await api.AssertGetProblemAsync($"/v1/images/{id}/thumbnail", HttpStatusCode.Conflict);
            Assert.Equal("failed", problem.GetProperty("imageStatus").GetString());
            problem = await api.AssertGetProblemAsync($"/v1/images/{id}/renditions/w320", HttpStatusCode.Conflict);
            Assert.Equal("failed", problem.GetProperty("imageStatus").GetString());
        }

        Assert.True(host.IsRunning, host.OutputTail());
        await api.HealthAsync();
        var good = await api.UploadAndWaitAsync(TestFiles.Sample("tiny.jpg"), "after-the-bombs.jpg", "image/jpeg", TimeSpan.FromSeconds(30));
        Assert.Equal("ready", good.GetProperty("status").GetString());
    }
}
