using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// The REAL local host as a child process, the way a user starts it: <c>dotnet ImagePipeline.Local.dll --urls
/// http://127.0.0.1:{free port} --data-dir {temp dir}</c>. Its output is kept for failure messages; disposing kills it and
/// deletes the temp folder.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _root;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private Process? _process;

    private HostProcess(string root, Uri baseUrl)
    {
        _root = root;
        BaseUrl = baseUrl;
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = baseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary><c>http://127.0.0.1:{port}</c>, no trailing slash.</summary>
    public Uri BaseUrl { get; }

    /// <summary>A client for the API: base address set, redirects not followed.</summary>
    public HttpClient Http { get; }

    /// <summary>The directory the host runs from: the web page is its <c>wwwroot</c>.</summary>
    public static string BinaryDirectory => AppContext.BaseDirectory;

    public string OutputTail(int characters = 6000)
    {
        lock (_outputLock)
        {
            var all = _output.ToString();
            return all.Length <= characters ? all : "…" + all[^characters..];
        }
    }

    /// <summary>Starts the host and waits until <c>GET /v1/health</c> answers 200.</summary>
    public static async Task<HostProcess> StartAsync(CancellationToken cancellationToken)
    {
        var dll = Path.Combine(BinaryDirectory, "ImagePipeline.Local.dll");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(BinaryDirectory, "ImagePipeline.Local.runtimeconfig.json")))
        {
            throw new FileNotFoundException(
                "ImagePipeline.Local.dll (with its runtimeconfig.json) is not beside the tests; the ProjectReference to " +
                "src/ImagePipeline.Local should have copied it into " + BinaryDirectory, dll);
        }

        if (!File.Exists(Path.Combine(BinaryDirectory, "wwwroot", "index.html")))
        {
            throw new FileNotFoundException("wwwroot/index.html is not beside ImagePipeline.Local.dll in " + BinaryDirectory);
        }

        var root = Path.Combine(Path.GetTempPath(), "imagepipeline-web-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var host = new HostProcess(root, new Uri($"http://127.0.0.1:{FreeLoopbackPort()}"));

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(host.BaseUrl.ToString().TrimEnd('/'));
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(Path.Combine(root, "data"));

        // A production host with the default libvips, whatever the developer's shell says.
        start.Environment.Remove("IMAGEPIPELINE_LIBVIPS");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["NO_COLOR"] = "1";

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start " + start.FileName);
        }

        host._process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(cancellationToken);
                var output = host.OutputTail();
                await host.DisposeAsync();
                throw new InvalidOperationException($"The host exited with code {process.ExitCode} before answering /v1/health.{Environment.NewLine}{output}");
            }

            try
            {
                using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                probe.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await host.Http.GetAsync("/v1/health", probe.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return host;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                var output = host.OutputTail();
                await host.DisposeAsync();
                throw new TimeoutException($"The host did not answer GET /v1/health within {StartTimeout.TotalSeconds:0} s.{Environment.NewLine}{output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_process is { } process)
        {
            _process = null;
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(deadline.Token);
            process.Dispose();
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(_root))
                {
                    Directory.Delete(_root, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(200);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
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

    /// <summary>The dotnet muxer running these tests, else the one named by the SDK, else <c>dotnet</c> on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        return "dotnet";
    }
}
