using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The REAL local host (<c>dotnet ImagePipeline.Local.dll --urls http://127.0.0.1:{free port} --data-dir {temp}</c>) as
/// a child process for the client commands to talk to, plus the uploads several tests look at, each made once.
/// Disposing kills the host and deletes its data.
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDir _temp = new();
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _uploads = new(1, 1);
    private Process? _process;
    private CliResult? _photos, _broken;

    /// <summary><c>http://127.0.0.1:{port}</c>, no trailing slash: what <c>--api</c> gets.</summary>
    public string Url { get; private set; } = "";

    /// <summary>What the host printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ImagePipeline.Local.dll");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "ImagePipeline.Local.runtimeconfig.json")))
        {
            throw new FileNotFoundException(
                "ImagePipeline.Local.dll (with its runtimeconfig.json) is not beside the tests; the ProjectReference to src/ImagePipeline.Local should have copied it.",
                dll);
        }

        Url = $"http://127.0.0.1:{FreeLoopbackPort()}";
        var start = new ProcessStartInfo(CliRunner.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = _temp.Path,
        };
        foreach (var argument in (string[])[dll, "--urls", Url, "--data-dir", _temp.Combine("data")])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove(CliRunner.LibvipsVariable);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["NO_COLOR"] = "1";

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The local host exited with code {process.ExitCode} before answering /v1/health:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Url + "/v1/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"The local host did not answer /v1/health within {StartTimeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary><c>upload sample-images/photos --wait --json</c>, run once.</summary>
    internal Task<CliResult> PhotosUploadAsync() =>
        OnceAsync(() => _photos, r => _photos = r, ["upload", Path.Combine(Samples.Folder, "photos"), "--api", Url, "--wait", "--json"]);

    /// <summary><c>upload sample-images/broken --wait --json</c>, run once.</summary>
    internal Task<CliResult> BrokenUploadAsync() =>
        OnceAsync(() => _broken, r => _broken = r, ["upload", Path.Combine(Samples.Folder, "broken"), "--api", Url, "--wait", "--timeout", "40s", "--json"]);

    /// <summary>Runs the CLI against this host: <c>--api</c> is appended.</summary>
    internal Task<CliResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null) =>
        CliRunner.RunAsync([.. arguments, "--api", Url], workingDirectory: workingDirectory);

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
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            process.Dispose();
        }

        _uploads.Dispose();
        _temp.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>Tests of the client commands share one host and run one after another on it.</summary>
[CollectionDefinition(Name)]
public sealed class ApiHostCollection : ICollectionFixture<ApiHost>
{
    public const string Name = "local API host";
}
