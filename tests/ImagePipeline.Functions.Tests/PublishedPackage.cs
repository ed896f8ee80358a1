using System.Reflection;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// A function package, published once per test run into a temp folder (never the clone's artifacts/), shared by every
/// test of its collection.
/// </summary>
public abstract class PublishedPackage(FunctionPackageKind kind) : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "imagepipeline-functions-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Which package.</summary>
    public FunctionPackageKind Kind { get; } = kind;

    /// <summary>The package folder: <c>bootstrap</c>, the runtime (ReadyToRun only), runtimes/{rid}/native/libvips, wwwroot.</summary>
    public string Folder { get; private set; } = "";

    /// <summary>The executable.</summary>
    public string Bootstrap => Path.Combine(Folder, FunctionPackage.BootstrapFileName);

    /// <summary>How long the publish took.</summary>
    public TimeSpan PublishTime { get; private set; }

    /// <summary>The clone these tests were built from (recorded at build time: the build output may live anywhere).</summary>
    public static string RepositoryRoot { get; } =
        typeof(PublishedPackage).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "ImagePipeline.RepoRoot").Value!;

    public async ValueTask InitializeAsync()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Folder = await FunctionPackage.PublishAsync(RepositoryRoot, Path.Combine(_root, "artifacts"), Kind, CancellationToken.None);
        PublishTime = watch.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"Published the {Kind} package in {PublishTime.TotalSeconds:0} s.");
    }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The default package: Native AOT for x86_64, what the CDK app deploys without flags.</summary>
public sealed class AotPackage() : PublishedPackage(FunctionPackageKind.Aot);

/// <summary>The x86_64 option: ReadyToRun (<c>-p:PublishAot=false</c>, context <c>functionBuild=readytorun</c>).</summary>
public sealed class ReadyToRunPackage() : PublishedPackage(FunctionPackageKind.ReadyToRun);

/// <summary>The arm64 package: ReadyToRun for linux-arm64 (context <c>architecture=arm64</c>).</summary>
public sealed class Arm64Package() : PublishedPackage(FunctionPackageKind.Arm64);
