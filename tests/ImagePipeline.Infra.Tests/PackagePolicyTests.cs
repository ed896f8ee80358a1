using System.Xml.Linq;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// SixLabors.ImageSharp is pinned for the benchmark's comparison only: 2.x has had crafted-image CVEs and 3.x+ needs a
/// paid licence for larger companies, so nothing under src/ may reach it.
/// </summary>
public sealed class PackagePolicyTests
{
    private const string BenchmarkProject = "tests/ImagePipeline.Benchmarks/ImagePipeline.Benchmarks.csproj";

    private static readonly string s_root = FunctionPackage.RepositoryRoot;

    [Fact]
    public void SourceProjects_WithTheirProjectReferences_NeverReferenceImageSharp()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(s_root, "src"), "*.csproj", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(sources);
        foreach (var project in sources)
        {
            var offenders = Closure(project).Where(ReferencesImageSharp).Select(Relative).ToList();
            Assert.True(offenders.Count == 0, $"{Relative(project)} reaches SixLabors.ImageSharp through {string.Join(", ", offenders)}");
        }

        // A reference here would reach every project, src/ included.
        foreach (var shared in new[] { "Directory.Build.props", "Directory.Build.targets" }.Select(f => Path.Combine(s_root, f)).Where(File.Exists))
        {
            Assert.False(ReferencesImageSharp(shared), $"{Relative(shared)} references SixLabors.ImageSharp");
        }
    }

    [Fact]
    public void ImageSharp_AcrossTheRepository_IsReferencedOnlyByTheBenchmarks()
    {
        var referencing = new[] { "src", "infra", "tests" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(s_root, d), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !Relative(p).Split('/').Any(part => part is "bin" or "obj" or "artifacts" or "node_modules"))
            .Where(ReferencesImageSharp)
            .Select(Relative)
            .ToList();

        Assert.Equal([BenchmarkProject], referencing);
    }

    /// <summary>The project and every project it references, directly or not.</summary>
    private static HashSet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in Items(current, "ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(directory, reference.Replace('\\', '/'))));
            }
        }

        return seen;
    }

    private static bool ReferencesImageSharp(string project) =>
        Items(project, "PackageReference").Any(id =>
            id.Equals("SixLabors.ImageSharp", StringComparison.OrdinalIgnoreCase)
            || id.StartsWith("SixLabors.ImageSharp.", StringComparison.OrdinalIgnoreCase));

    /// <summary>The Include (or Update) values of the project's items named <paramref name="item"/>.</summary>
    private static IEnumerable<string> Items(string project, string item) =>
        XDocument.Load(project).Descendants()
            .Where(e => e.Name.LocalName == item)
            .Select(e => (string?)e.Attribute("Include") ?? (string?)e.Attribute("Update"))
            .OfType<string>()
            // An item transform (e.g. Update="@(ProjectReference)", which sets properties on the references above)
            // names no project of its own.
            .Where(value => !value.Contains("@(", StringComparison.Ordinal));

    private static string Relative(string path) => Path.GetRelativePath(s_root, path).Replace('\\', '/');
}
