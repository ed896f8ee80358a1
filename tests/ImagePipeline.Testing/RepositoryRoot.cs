using System.Reflection;

namespace ImagePipeline.Testing;

/// <summary>
/// The folder holding ImagePipeline.sln: walking up from the test binary or the cwd, else the one this assembly was
/// built from (outputs built outside the tree).
/// </summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        var builtFrom = typeof(RepositoryRoot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), builtFrom ?? "" })
        {
            if (start.Length == 0 || !Directory.Exists(start))
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
}
