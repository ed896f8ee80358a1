using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Tests;

public sealed class RecipeTests
{
    private static readonly RenditionRecipe Renditions = ImageRecipe.Default.Renditions;

    [Theory]
    [InlineData(6000, new[] { 320, 640, 1280, 2048 })]
    [InlineData(2048, new[] { 320, 640, 1280, 2048 })]
    [InlineData(2047, new[] { 320, 640, 1280 })]
    [InlineData(640, new[] { 320, 640 })]
    [InlineData(320, new[] { 320 })]
    public void Plan_SourceWidth_SkipsOnlyWidthsThatWouldUpscale(int sourceWidth, int[] expected)
    {
        var plan = Renditions.Plan(sourceWidth);

        Assert.Equal(expected, plan.Select(p => p.Width));
        Assert.Equal(expected.Select(w => $"w{w}"), plan.Select(p => p.Name));
    }

    [Fact]
    public void Plan_SourceNarrowerThanSmallestWidth_KeepsOneRenditionAtSourceWidth()
    {
        var plan = Renditions.Plan(100);

        Assert.Equal([("w320", 100)], plan);
    }

    [Fact]
    public void Default_MatchesTheDesign()
    {
        var recipe = ImageRecipe.Default;

        Assert.Equal(1, recipe.Version);
        Assert.Equal([320, 640, 1280, 2048], recipe.Renditions.Widths);
        Assert.Equal(80, recipe.Renditions.Quality);
        Assert.Equal((256, 75), (recipe.Thumbnail.Size, recipe.Thumbnail.Quality));
    }
}
