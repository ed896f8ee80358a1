using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Http.Tests;

public sealed class OwnershipTests
{
    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "/thumbnail")]
    [InlineData("GET", "/renditions/w320")]
    [InlineData("GET", "/original")]
    [InlineData("DELETE", "")]
    public async Task ImageRoutes_AnotherOwnersImage_AreNotFoundAndChangeNothing(string method, string suffix)
    {
        var harness = new ApiHarness();
        var ready = harness.Ready();
        var theirs = harness.Catalog.Put(ready with { OwnerId = "someone-else" });

        var response = await harness.SendAsync(method, $"/v1/images/{ApiHarness.IdOf(theirs)}{suffix}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        var stored = await harness.Catalog.GetAsync(theirs.Id, TestContext.Current.CancellationToken);
        Assert.Null(stored!.DeletedAt);
        Assert.Equal(StageState.Done, stored.ThumbnailState);
    }
}
