namespace ImagePipeline.TestImages;

/// <summary>The repository root (see <see cref="Testing.RepositoryRoot"/>) and the shared corpus beside it.</summary>
public static class RepoRoot
{
    public static string Find() => Testing.RepositoryRoot.Find();

    /// <summary>The shared corpus beside the repository, or null when this clone has none.</summary>
    public static string? SharedCorpus()
    {
        var corpus = Path.GetFullPath(Path.Combine(Find(), "..", "shared", "corpus"));
        return File.Exists(Path.Combine(corpus, "MANIFEST.tsv")) ? corpus : null;
    }
}
