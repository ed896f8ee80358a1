using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Http.Tests;

public sealed class ReprocessTests
{
    [Fact]
    public async Task Reprocess_FailedImage_QueuesBothStagesAndAnswers202WithThemPending()
    {
        var api = new ApiHarness();
        var failed = api.Failed("internal", "Processing failed 5 times.");

        var response = await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(failed)}/reprocess", "");

        Assert.Equal(202, response.Status);
        var body = ApiHarness.Json(response);
        Assert.Equal("processing", body.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("error").ValueKind);
        var stored = api.Catalog.Find(failed.Id)!;
        Assert.Equal(StageState.Pending, stored.ResizeState);
        Assert.Equal(StageState.Pending, stored.ThumbnailState);
        Assert.Null(stored.Error);

        Assert.Equal([Stage.Resize, Stage.Thumbnail], api.Queue.Sent.Select(m => m.Stage));
        foreach (var (_, message) in api.Queue.Sent)
        {
            var created = Assert.Single(S3EventParser.Parse(message));
            Assert.True(created.Reprocess);
            Assert.Equal(ObjectKeys.Original(failed.Id), created.Key);
            Assert.Equal(failed.SourceEtag, created.ETag);
            Assert.Equal(ApiHarness.OriginalsBucket, created.Bucket);
        }
    }

    [Fact]
    public async Task Reprocess_OneStageFailedOtherDone_QueuesOnlyTheFailedStage()
    {
        var api = new ApiHarness();
        var ready = api.Ready();
        api.Catalog.Put(ready with { ThumbnailState = StageState.Failed, Thumbnail = null, ThumbnailError = new StageError("internal", "x") });

        var response = await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(ready)}/reprocess", "");

        Assert.Equal(202, response.Status);
        Assert.Equal([Stage.Thumbnail], api.Queue.Sent.Select(m => m.Stage));
        var stored = api.Catalog.Find(ready.Id)!;
        Assert.Equal(StageState.Done, stored.ResizeState);
        Assert.Equal(StageState.Pending, stored.ThumbnailState);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("processing")]
    [InlineData("ready")]
    public async Task Reprocess_NothingToRun_Answers409WithStatusAndQueuesNothing(string status)
    {
        var api = new ApiHarness();
        var record = status switch
        {
            "pending" => api.Catalog.Put(api.Pending()),
            "processing" => api.Processing(),
            _ => api.Ready(),
        };

        var response = await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(record)}/reprocess", "");

        var problem = ApiHarness.AssertProblem(response, 409, ProblemTypes.NotReady);
        Assert.Equal(status, problem.GetProperty("imageStatus").GetString());
        Assert.Empty(api.Queue.Sent);
    }

    [Fact]
    public async Task Reprocess_UnknownDeletedOrOtherOwnersImage_Answers404()
    {
        var api = new ApiHarness();
        var deleted = api.Deleted();
        var others = api.Catalog.Put(api.Pending(owner: "someone-else") with
        {
            SourceEtag = "e", ResizeState = StageState.Failed, ResizeError = new StageError("internal", "x"), ExpiresAt = null,
        });

        ApiHarness.AssertProblem(await api.PostJsonAsync($"/v1/images/{Guid.CreateVersion7():D}/reprocess", ""), 404, ProblemTypes.NotFound);
        ApiHarness.AssertProblem(await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(deleted)}/reprocess", ""), 404, ProblemTypes.NotFound);
        ApiHarness.AssertProblem(await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(others)}/reprocess", ""), 404, ProblemTypes.NotFound);
        Assert.Empty(api.Queue.Sent);
        Assert.Equal(StageState.Failed, api.Catalog.Find(others.Id)!.ResizeState);
    }

    [Fact]
    public async Task Reprocess_QueueUnavailable_Answers503AndLeavesTheImageFailed()
    {
        var api = new ApiHarness();
        var failed = api.Failed();
        api.Queue.FailWith = new TransientStorageException("queue throttled");

        var response = await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(failed)}/reprocess", "");

        Assert.Equal(503, response.Status);
        Assert.Equal(StageState.Failed, api.Catalog.Find(failed.Id)!.ResizeState);
        Assert.Equal("corrupt_image", api.Catalog.Find(failed.Id)!.ResizeError!.Code);
    }

    [Fact]
    public async Task Reprocess_WrongMethodOrFormBody_Answers405Or415()
    {
        var api = new ApiHarness();
        var failed = api.Failed();
        var path = $"/v1/images/{ApiHarness.IdOf(failed)}/reprocess";

        var get = await api.GetAsync(path);
        ApiHarness.AssertProblem(get, 405, ProblemTypes.MethodNotAllowed);
        Assert.Contains(get.Headers, h => h.Key == "Allow" && h.Value == "POST");
        ApiHarness.AssertProblem(await api.PostJsonAsync(path, "a=b", "application/x-www-form-urlencoded"), 415, ProblemTypes.UnsupportedMediaType);
        ApiHarness.AssertProblem(await api.PostJsonAsync(path, "{}", contentType: null), 415, ProblemTypes.UnsupportedMediaType);
        ApiHarness.AssertProblem(await api.PostJsonAsync(path, "", contentType: null), 415, ProblemTypes.UnsupportedMediaType);
        ApiHarness.AssertProblem(await api.PostJsonAsync(path, "", contentType: "text/plain"), 415, ProblemTypes.UnsupportedMediaType);
        Assert.Empty(api.Queue.Sent);
        Assert.Equal(202, (await api.PostJsonAsync(path, "{}")).Status);
    }

    [Fact]
    public async Task Reprocess_StageFailsAgainBeforeTheReset_TheNewFailureStands()
    {
        // A corrupt file fails again in a millisecond: the queued event can be done before the API resets the stage.
        var api = new ApiHarness();
        var failed = api.Failed();
        api.Queue.OnSent = (stage, _) =>
        {
            api.Clock.Advance(TimeSpan.FromMilliseconds(5));
            var again = new StageOutcome(failed.Id, stage, failed.SourceEtag!, StageState.Failed, null, null, null, null,
                new StageError("corrupt_image", "The image data is damaged."), api.Clock.GetUtcNow(), 1);
            Assert.Equal(StageWriteResult.Applied, api.Catalog.ApplyStageAsync(again, CancellationToken.None).Result);
        };

        var response = await api.PostJsonAsync($"/v1/images/{ApiHarness.IdOf(failed)}/reprocess", "");

        Assert.Equal(202, response.Status);
        var stored = api.Catalog.Find(failed.Id)!;
        Assert.Equal((StageState.Failed, StageState.Failed), (stored.ResizeState, stored.ThumbnailState));
        Assert.Equal("failed", ApiHarness.Json(response).GetProperty("status").GetString());
    }
}
