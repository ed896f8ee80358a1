using System.Reflection;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// The function package, published once per test run into a temp folder (never the clone's artifacts/), shared by
/// every test that runs the real <c>bootstrap</c>.
/// </summary>
public sealed class PublishedPackage : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "imagepipeline-functions-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The package folder: <c>bootstrap</c>, the runtime, runtimes/linux-x64/native/libvips.</summary>
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
        Folder = await FunctionPackage.PublishAsync(RepositoryRoot, Path.Combine(_root, "artifacts"), CancellationToken.None);
        PublishTime = watch.Elapsed;
    }

    public ValueTask DisposeAsync()
    {
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
