using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// <c>--child full|thumb IN</c>: one operation of our engine in a fresh process, so the parent can read its peak RSS
/// from wait4; <c>--child init</c> only builds the engine (the runtime + libvips baseline).
/// </summary>
internal static class ChildMode
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args is not (["init"] or ["full" or "thumb", _]))
        {
            Console.Error.WriteLine("error: --child needs 'init', 'full IN' or 'thumb IN'.");
            return 1;
        }

        try
        {
            var engine = new LibvipsImageEngine();
            var recipe = ImageRecipe.Default;
            switch (args[0])
            {
                case "full":
                    var processed = engine.Process(File.ReadAllBytes(args[1]), recipe);
                    return processed.Thumbnail.Width == recipe.Thumbnail.Size && processed.Renditions.Count > 0 ? 0 : 4;
                case "thumb":
                    var thumbnail = engine.Thumbnail(File.ReadAllBytes(args[1]), recipe.Thumbnail);
                    return thumbnail.Thumbnail.Width == recipe.Thumbnail.Size ? 0 : 4;
                default:
                    return 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageProcessingException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }
}
