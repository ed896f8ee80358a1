using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// <c>--child full|thumb IN</c>: one operation of our engine in a fresh process, so the parent can read its peak RSS
/// from wait4; <c>--child init</c> only builds the engine (the runtime + libvips baseline); <c>--child imagesharp IN</c>
/// the full recipe once with the ImageSharp reference (libvips is not loaded).
/// </summary>
internal static class ChildMode
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args is not (["init"] or ["full" or "thumb" or "imagesharp", _]))
        {
            Console.Error.WriteLine("error: --child needs 'init', 'full IN', 'thumb IN' or 'imagesharp IN'.");
            return 1;
        }

        var recipe = ImageRecipe.Default;
        try
        {
            if (args[0] == "imagesharp")
            {
                var outputs = ImageSharpReference.Process(File.ReadAllBytes(args[1]), recipe);
                return outputs[^1].Width == recipe.Thumbnail.Size && outputs.Count > 1 ? 0 : 4;
            }

            var engine = new LibvipsImageEngine();
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageProcessingException or SixLabors.ImageSharp.ImageFormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }
}
