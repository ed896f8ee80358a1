namespace ImagePipeline.Testing;

/// <summary>
/// Publishes a Lambda function package (src/ImagePipeline.Functions) exactly as the CDK app's command does, but into a
/// given artifacts folder, so tests and the benchmark never write into the clone's own <c>artifacts/</c> or race a
/// developer's build.
/// </summary>
public static class FunctionPackage
{
    /// <summary>The executable Lambda starts.</summary>
    public const string BootstrapFileName = "bootstrap";

    /// <summary>How long a publish may take (a cold one compiles five projects in Release and then either crossgens the
    /// framework or compiles the whole program natively, on a busy 2-core machine).</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(12);

    /// <summary>Where a publish of <paramref name="kind"/> with <c>--artifacts-path</c> <paramref name="artifactsPath"/> puts the package.</summary>
    public static string OutputFolder(string artifactsPath, FunctionPackageKind kind) =>
        Path.Combine(artifactsPath, "publish", "ImagePipeline.Functions", kind.FolderName);

    /// <summary>
    /// Runs <c>dotnet publish src/ImagePipeline.Functions</c> with <paramref name="kind"/>'s arguments and <c>--artifacts-path
    /// <paramref name="artifactsPath"/></c> in <paramref name="repositoryRoot"/> and returns the package folder; throws
    /// with the build's output when it fails.
    /// </summary>
    public static async Task<string> PublishAsync(string repositoryRoot, string artifactsPath, FunctionPackageKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var project = Path.Combine(repositoryRoot, "src", "ImagePipeline.Functions");
        if (!Directory.Exists(project))
        {
            throw new DirectoryNotFoundException($"{project} does not exist: is {repositoryRoot} the repository root?");
        }

        var output = await DotnetCommand.RunAsync(
            repositoryRoot, ["publish", project, .. kind.PublishArguments, "--artifacts-path", artifactsPath], PublishTimeout, cancellationToken);
        var folder = OutputFolder(artifactsPath, kind);
        return File.Exists(Path.Combine(folder, BootstrapFileName))
            ? folder
            : throw new InvalidOperationException($"dotnet publish ({kind}) succeeded but left no {BootstrapFileName} in {folder}.{Environment.NewLine}{output}");
    }
}
