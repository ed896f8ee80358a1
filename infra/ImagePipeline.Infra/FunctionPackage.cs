using System.Diagnostics;
using System.Reflection;

namespace ImagePipeline.Infra;

/// <summary>
/// Finds the folder the three functions are deployed from: the self-contained <c>bootstrap</c> published from
/// src/ImagePipeline.Functions (with libvips under runtimes/linux-x64/native/). When the repository's publish output is
/// missing or older than the sources it runs the publish, so <c>npx cdk synth</c> works on a fresh clone and a deploy
/// never ships stale code; an explicit folder (context or environment) is used exactly as given.
/// </summary>
public static class FunctionPackage
{
    public const string BootstrapFileName = "bootstrap";

    /// <summary>The command that produces the package, relative to the repository root.</summary>
    public const string PublishCommand = "dotnet publish src/ImagePipeline.Functions -c Release -r linux-x64";

    private static readonly string[] s_publishArguments = ["publish", "src/ImagePipeline.Functions", "-c", "Release", "-r", "linux-x64"];

    /// <summary>The clone this app was built from (recorded at build time, so any artifacts path works).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Where <see cref="PublishCommand"/> writes with the repository's default artifacts folder.</summary>
    public static string DefaultFolder =>
        Path.Combine(RepositoryRoot, "artifacts", "publish", "ImagePipeline.Functions", "release_linux-x64");

    /// <summary>The web page's files.</summary>
    public static string WebRoot => Path.Combine(RepositoryRoot, "src", "ImagePipeline.Local", "wwwroot");

    /// <summary>Returns a folder holding <c>bootstrap</c>, publishing into the default folder when needed.</summary>
    /// <exception cref="InvalidOperationException">The folder is unusable or the publish failed; the message says what to run.</exception>
    public static string Resolve(string? explicitFolder)
    {
        if (explicitFolder is not null)
        {
            if (!File.Exists(Path.Combine(explicitFolder, BootstrapFileName)))
            {
                throw new InvalidOperationException(
                    $"The function package folder '{explicitFolder}' (context '{StackSettings.FunctionPackageKey}' or {StackSettings.FunctionPackageVariable}) " +
                    $"holds no '{BootstrapFileName}'. Point it at the output of `{PublishCommand}`.");
            }

            return explicitFolder;
        }

        var folder = DefaultFolder;
        var bootstrap = Path.Combine(folder, BootstrapFileName);
        var reason = !File.Exists(bootstrap) ? "missing"
            : NewestSourceWrite() > File.GetLastWriteTimeUtc(bootstrap) ? "older than the sources"
            : null;
        if (reason is null)
        {
            return folder;
        }

        Publish(reason);
        if (!File.Exists(bootstrap))
        {
            throw new InvalidOperationException(
                $"`{PublishCommand}` finished but '{bootstrap}' does not exist. Run it from {RepositoryRoot} and check its output.");
        }

        return folder;
    }

    private static void Publish(string reason)
    {
        // stderr: the CDK CLI reads the app's results from the cloud assembly, and this is progress for the operator.
        Console.Error.WriteLine($"The function package is {reason}; running `{PublishCommand}` in {RepositoryRoot}.");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot, RedirectStandardOutput = true };
        foreach (var argument in s_publishArguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start `dotnet`. Run `{PublishCommand}` in {RepositoryRoot}, then synthesize again.");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{PublishCommand}` failed (exit code {process.ExitCode}); its output is above. Fix the build, or run it yourself in {RepositoryRoot}, then synthesize again.");
        }
    }

    private static DateTime NewestSourceWrite()
    {
        var newest = DateTime.MinValue;
        var sources = Path.Combine(RepositoryRoot, "src");
        if (Directory.Exists(sources))
        {
            foreach (var file in Directory.EnumerateFiles(sources, "*", SearchOption.AllDirectories))
            {
                if (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal))
                {
                    var written = File.GetLastWriteTimeUtc(file);
                    newest = written > newest ? written : newest;
                }
            }
        }

        foreach (var props in new[] { "Directory.Build.props", "Directory.Packages.props" })
        {
            var path = Path.Combine(RepositoryRoot, props);
            if (File.Exists(path))
            {
                var written = File.GetLastWriteTimeUtc(path);
                newest = written > newest ? written : newest;
            }
        }

        return newest;
    }

    private static string FindRepositoryRoot()
    {
        var recorded = typeof(FunctionPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ImagePipeline.RepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "cdk.json")))
        {
            return Path.GetFullPath(recorded);
        }

        // A build copied from elsewhere: the CDK CLI runs the app from the folder holding cdk.json.
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "cdk.json")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository (a folder holding cdk.json); run the app from the clone's root.");
    }
}
