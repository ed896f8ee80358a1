namespace ImagePipeline.Testing;

/// <summary>
/// Publishes the Lambda function package (src/ImagePipeline.Functions: self-contained ReadyToRun <c>bootstrap</c> for
/// linux-x64 with libvips) exactly as the CDK app's command does, but into a given artifacts folder, so tests and the
/// benchmark never write into the clone's own <c>artifacts/</c> or race a developer's build.
/// </summary>
public static class FunctionPackage
{
    /// <summary>The executable Lambda starts.</summary>
    public const string BootstrapFileName = "bootstrap";

    /// <summary>How long a publish may take (a cold one compiles five projects in Release and crossgens the framework).</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);

    /// <summary>Where a publish with <c>--artifacts-path</c> <paramref name="artifactsPath"/> puts the package.</summary>
    public static string OutputFolder(string artifactsPath) =>
        Path.Combine(artifactsPath, "publish", "ImagePipeline.Functions", "release_linux-x64");

    /// <summary>
    /// Runs <c>dotnet publish src/ImagePipeline.Functions -c Release -r linux-x64 --artifacts-path
    /// <paramref name="artifactsPath"/></c> in <paramref name="repositoryRoot"/> and returns the package folder; throws
    /// with the build's output when it fails.
    /// </summary>
    public static async Task<string> PublishAsync(string repositoryRoot, string artifactsPath, CancellationToken cancellationToken)
    {
        var project = Path.Combine(repositoryRoot, "src", "ImagePipeline.Functions");
        if (!Directory.Exists(project))
        {
            throw new DirectoryNotFoundException($"{project} does not exist: is {repositoryRoot} the repository root?");
        }

        var output = await DotnetCommand.RunAsync(
            repositoryRoot, ["publish", project, "-c", "Release", "-r", "linux-x64", "--artifacts-path", artifactsPath], PublishTimeout, cancellationToken);
        var folder = OutputFolder(artifactsPath);
        return File.Exists(Path.Combine(folder, BootstrapFileName))
            ? folder
            : throw new InvalidOperationException($"dotnet publish succeeded but left no {BootstrapFileName} in {folder}.{Environment.NewLine}{output}");
    }
}
