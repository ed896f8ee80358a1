using System.Diagnostics;
using System.Reflection;

namespace ImagePipeline.Infra;

/// <summary>
/// Finds the folder the functions are deployed from: the self-contained <c>bootstrap</c> published from
/// src/ImagePipeline.Functions for the chosen architecture and build (with libvips under runtimes/{rid}/native/). When
/// the repository's publish output is missing or older than the sources it runs the publish, so <c>npx cdk synth</c>
/// works on a fresh clone and a deploy never ships stale code; an explicit folder (context or environment) is used as
/// given, once its <c>bootstrap</c> is checked to be for the chosen architecture.
/// </summary>
public static class FunctionPackage
{
    public const string BootstrapFileName = "bootstrap";

    /// <summary>ELF <c>e_machine</c> values.</summary>
    private const int ElfMachineX86_64 = 62;
    private const int ElfMachineAarch64 = 183;

    /// <summary>The clone this app was built from (recorded at build time, so any artifacts path works).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The web page's files.</summary>
    public static string WebRoot => Path.Combine(RepositoryRoot, "src", "ImagePipeline.Local", "wwwroot");

    /// <summary>The command that produces the package, relative to the repository root.</summary>
    public static string PublishCommand(FunctionArchitecture architecture, FunctionBuild build) =>
        "dotnet " + string.Join(' ', PublishArguments(architecture, build));

    /// <summary>
    /// Where <see cref="PublishCommand"/> writes with the repository's default artifacts folder (the project file names
    /// the folders: <c>release_linux-x64</c> for Native AOT, <c>release_linux-x64_readytorun</c>, <c>release_linux-arm64</c>).
    /// </summary>
    public static string DefaultFolder(FunctionArchitecture architecture, FunctionBuild build) =>
        Path.Combine(RepositoryRoot, "artifacts", "publish", "ImagePipeline.Functions", architecture switch
        {
            FunctionArchitecture.Arm64 => "release_linux-arm64",
            _ when build == FunctionBuild.ReadyToRun => "release_linux-x64_readytorun",
            _ => "release_linux-x64",
        });

    /// <summary>
    /// Returns a folder holding a <c>bootstrap</c> for <paramref name="architecture"/>: <paramref name="explicitFolder"/>,
    /// or the default folder of <paramref name="architecture"/> and <paramref name="build"/>, published when needed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder is unusable or the publish failed; the message says what to run.</exception>
    public static string Resolve(string? explicitFolder, FunctionArchitecture architecture, FunctionBuild build)
    {
        var command = PublishCommand(architecture, build);
        if (explicitFolder is not null)
        {
            var given = Path.Combine(explicitFolder, BootstrapFileName);
            if (!File.Exists(given))
            {
                throw new InvalidOperationException(
                    $"The function package folder '{explicitFolder}' (context '{StackSettings.FunctionPackageKey}' or {StackSettings.FunctionPackageVariable}) " +
                    $"holds no '{BootstrapFileName}'. Point it at the output of `{command}`.");
            }

            // Lambda would start it on the other processor and fail every invocation with Runtime.InvalidEntrypoint.
            if (ElfMachine(given) is { } machine && machine != (architecture == FunctionArchitecture.Arm64 ? ElfMachineAarch64 : ElfMachineX86_64))
            {
                throw new InvalidOperationException(
                    $"The function package folder '{explicitFolder}' holds a bootstrap for {(machine == ElfMachineAarch64 ? "arm64" : machine == ElfMachineX86_64 ? "x86_64" : $"ELF machine {machine}")}, " +
                    $"but context '{StackSettings.ArchitectureKey}' is {Name(architecture)}. Publish for it with `{command}`, or set '{StackSettings.ArchitectureKey}' to match.");
            }

            return explicitFolder;
        }

        var folder = DefaultFolder(architecture, build);
        var bootstrap = Path.Combine(folder, BootstrapFileName);
        var reason = !File.Exists(bootstrap) ? "missing"
            : NewestSourceWrite() > File.GetLastWriteTimeUtc(bootstrap) ? "older than the sources"
            : null;
        if (reason is null)
        {
            return folder;
        }

        Publish(reason, architecture, build);
        if (!File.Exists(bootstrap))
        {
            throw new InvalidOperationException(
                $"`{command}` finished but '{bootstrap}' does not exist. Run it from {RepositoryRoot} and check its output.");
        }

        return folder;
    }

    // The context value of an architecture.
    private static string Name(FunctionArchitecture architecture) => architecture == FunctionArchitecture.Arm64 ? "arm64" : "x86_64";

    private static string[] PublishArguments(FunctionArchitecture architecture, FunctionBuild build) => architecture switch
    {
        FunctionArchitecture.Arm64 => ["publish", "src/ImagePipeline.Functions", "-c", "Release", "-r", "linux-arm64"],
        _ when build == FunctionBuild.ReadyToRun => ["publish", "src/ImagePipeline.Functions", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=false"],
        _ => ["publish", "src/ImagePipeline.Functions", "-c", "Release", "-r", "linux-x64"],
    };

    /// <summary>The ELF header's machine, or null for a file that is not ELF (a bootstrap may be a script).</summary>
    private static int? ElfMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = File.OpenRead(path);
        return file.Read(header) == header.Length && header[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F'])
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[0x12..])
            : null;
    }

    private static void Publish(string reason, FunctionArchitecture architecture, FunctionBuild build)
    {
        var command = PublishCommand(architecture, build);
        // stderr: the CDK CLI reads the app's results from the cloud assembly, and this is progress for the operator.
        Console.Error.WriteLine($"The function package is {reason}; running `{command}` in {RepositoryRoot}.");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot, RedirectStandardOutput = true };
        foreach (var argument in PublishArguments(architecture, build))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start `dotnet`. Run `{command}` in {RepositoryRoot}, then synthesize again.");
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
                $"`{command}` failed (exit code {process.ExitCode}); its output is above. Fix the build, or run it yourself in {RepositoryRoot}, then synthesize again.");
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
