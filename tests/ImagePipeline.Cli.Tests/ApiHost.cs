using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The REAL local host (<c>dotnet ImagePipeline.Local.dll --urls http://127.0.0.1:{free port} --data-dir {temp}</c>) as
/// a child process for the client commands to talk to, plus the uploads several tests look at, each made once.
/// Disposing kills the host and deletes its data.
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    private readonly LocalHostProcess _host = new();
    private readonly SemaphoreSlim _uploads = new(1, 1);
    private CliResult? _photos, _broken;

    /// <summary><c>http://127.0.0.1:{port}</c>, no trailing slash: what <c>--api</c> gets.</summary>
    public string Url => _host.BaseUrl.ToString().TrimEnd('/');

    /// <summary>What the host printed so far, for failure messages.</summary>
    public string Output => _host.Output;

    public ValueTask InitializeAsync() => new(_host.StartAsync());

    /// <summary><c>upload sample-images/photos --wait --json</c>, run once.</summary>
    internal Task<CliResult> PhotosUploadAsync() =>
        OnceAsync(() => _photos, r => _photos = r, ["upload", Path.Combine(Samples.Folder, "photos"), "--api", Url, "--wait", "--json"]);

    /// <summary><c>upload sample-images/broken --wait --json</c>, run once.</summary>
    internal Task<CliResult> BrokenUploadAsync() =>
        OnceAsync(() => _broken, r => _broken = r, ["upload", Path.Combine(Samples.Folder, "broken"), "--api", Url, "--wait", "--timeout", "40s", "--json"]);

    /// <summary>Runs the CLI against this host: <c>--api</c> is appended.</summary>
    internal Task<CliResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null) =>
        CliRunner.RunAsync([.. arguments, "--api", Url], workingDirectory: workingDirectory);

    /// <summary>Runs the CLI against this host with <paramref name="environment"/>: <c>--api</c> is appended.</summary>
    internal Task<CliResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment) =>
        CliRunner.RunAsync([.. arguments, "--api", Url], environment);

    private async Task<CliResult> OnceAsync(Func<CliResult?> get, Action<CliResult> set, string[] arguments)
    {
        await _uploads.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (get() is { } done)
            {
                return done;
            }

            var run = await CliRunner.RunAsync(arguments);
            set(run);
            return run;
        }
        finally
        {
            _uploads.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _uploads.Dispose();
    }
}

/// <summary>Tests of the client commands share one host and run one after another on it.</summary>
[CollectionDefinition(Name)]
public sealed class ApiHostCollection : ICollectionFixture<ApiHost>
{
    public const string Name = "local API host";
}
