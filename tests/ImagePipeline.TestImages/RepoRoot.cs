using System.Reflection;

namespace ImagePipeline.TestImages;

/// <summary>
/// Finds the repository root (the folder holding ImagePipeline.sln) from the running binary, the cwd, or, for outputs
/// built outside the tree (<c>--artifacts-path</c>), the source folder recorded at build time.
/// </summary>
public static class RepoRoot
{
    public static string Find()
    {
        var builtFrom = typeof(RepoRoot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), builtFrom ?? "" })
        {
            if (start.Length == 0)
            {
                continue;
            }

            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ImagePipeline.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("ImagePipeline.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The shared corpus beside the repository, or null when this clone has none.</summary>
    public static string? SharedCorpus()
    {
        var corpus = Path.GetFullPath(Path.Combine(Find(), "..", "shared", "corpus"));
        return File.Exists(Path.Combine(corpus, "MANIFEST.tsv")) ? corpus : null;
    }
}
