namespace ImagePipeline.Core.Imaging;

/// <summary>How renditions are made. Changing any output-affecting value means bumping <see cref="ImageRecipe.Version"/>.</summary>
/// <param name="Widths">Target widths, ascending. Widths above the oriented source width are skipped (never upscaled).</param>
/// <param name="Quality">WebP quality, 1–100.</param>
/// <param name="Effort">WebP encoder effort, 0 (fastest) – 6 (smallest).</param>
public sealed record RenditionRecipe(IReadOnlyList<int> Widths, int Quality, int Effort)
{
    /// <summary>
    /// The widths actually made for a source <paramref name="sourceWidth"/> pixels wide (after orientation):
    /// every width that needs no upscaling, or, when none does, the smallest one at the source width.
    /// Returns (name, width) pairs; the name always comes from the recipe width (<c>w320</c>…).
    /// </summary>
    public IReadOnlyList<(string Name, int Width)> Plan(int sourceWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        var plan = new List<(string, int)>();
        foreach (var width in Widths)
        {
            if (width <= sourceWidth)
            {
                plan.Add((NameOf(width), width));
            }
        }

        if (plan.Count == 0)
        {
            var smallest = Widths.Min();
            plan.Add((NameOf(smallest), sourceWidth));
        }

        return plan;
    }

    /// <summary>The rendition name of a recipe width, e.g. <c>w640</c>.</summary>
    public static string NameOf(int width) => $"w{width}";
}

/// <summary>How the square thumbnail is made.</summary>
/// <param name="Size">Edge length in pixels; the thumbnail is always Size×Size (small sources are enlarged).</param>
/// <param name="Quality">WebP quality, 1–100.</param>
/// <param name="Effort">WebP encoder effort, 0–6.</param>
public sealed record ThumbnailRecipe(int Size, int Quality, int Effort);

/// <summary>The full processing recipe: renditions and thumbnail, with the version baked into derived keys.</summary>
/// <param name="Version">Bumped whenever outputs change meaning, so keys never serve stale bytes.</param>
/// <param name="Renditions">The rendition recipe.</param>
/// <param name="Thumbnail">The thumbnail recipe.</param>
public sealed record ImageRecipe(int Version, RenditionRecipe Renditions, ThumbnailRecipe Thumbnail)
{
    /// <summary>
    /// The design's default: widths 320/640/1280/2048 at WebP quality 80; a 256² attention-cropped thumbnail at
    /// quality 75; libwebp's default effort (4) for both.
    /// </summary>
    public static ImageRecipe Default { get; } = new(
        1,
        new RenditionRecipe([320, 640, 1280, 2048], Quality: 80, Effort: 4),
        new ThumbnailRecipe(256, Quality: 75, Effort: 4));
}
