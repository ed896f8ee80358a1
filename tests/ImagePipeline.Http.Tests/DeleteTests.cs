using ImagePipeline.Core.Storage;

namespace ImagePipeline.Http.Tests;

public sealed class DeleteTests
{
    [Fact]
    public async Task DeleteImage_Existing_Returns204AndRemovesRecordAndObjects()
    {
        var api = new ApiHarness();
        var record = api.Ready();
        var id = ApiHarness.IdOf(record);
        api.Store.Objects[(Bucket.Originals, ObjectKeys.Original(record.Id))] = [1];
        api.Store.Objects[(Bucket.Derived, ObjectKeys.Thumbnail(record.Id, 1, 256))] = [2];

        var response = await api.SendAsync("DELETE", $"/v1/images/{id}");

        Assert.Equal(204, response.Status);
        Assert.True(response.Body.IsEmpty);
        Assert.Null(response.ContentType);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.NotNull(api.Catalog.Find(record.Id)!.DeletedAt);
        Assert.Empty(api.Store.Objects);
        Assert.Equal([$"renditions/{id}/", $"thumbnails/{id}/"], api.Store.DeletedPrefixes);
        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{id}"), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task DeleteImage_AlreadyDeleted_Returns404()
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready());
        Assert.Equal(204, (await api.SendAsync("DELETE", $"/v1/images/{id}")).Status);

        var response = await api.SendAsync("DELETE", $"/v1/images/{id}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task DeleteImage_UnknownId_Returns404()
    {
        var api = new ApiHarness();

        var response = await api.SendAsync("DELETE", $"/v1/images/{Guid.CreateVersion7():D}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task DeleteImage_MalformedId_Returns404WithoutTouchingStorage()
    {
        var api = new ApiHarness();
        var record = api.Ready();

        var response = await api.SendAsync("DELETE", $"/v1/images/{ApiHarness.IdOf(record).ToUpperInvariant()}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Null(api.Catalog.Find(record.Id)!.DeletedAt);
        Assert.Empty(api.Store.DeletedPrefixes);
    }
}
