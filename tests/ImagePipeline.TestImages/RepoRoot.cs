namespace ImagePipeline.TestImages;

/// <summary>Finds the repository root (the folder holding ImagePipeline.sln) from the running binary or the cwd.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
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
