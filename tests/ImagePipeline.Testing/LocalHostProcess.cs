using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.Testing;

/// <summary>
/// The REAL local host as a child process: <c>dotnet ImagePipeline.Local.dll --urls http://127.0.0.1:{free port}
/// --data-dir {temp dir}</c>, with its stdout and stderr captured. It can be killed like a crash (SIGKILL, the whole
/// process tree) and restarted on the same port and data directory. Disposing kills it and deletes the temp folder.
/// </summary>
public class LocalHostProcess : IAsyncDisposable
{
    /// <summary>How long a start may take until <c>GET /v1/health</c> answers 200.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private const string LibvipsVariable = "IMAGEPIPELINE_LIBVIPS";

    private readonly string _root;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private Process? _process;
    private HttpClient? _http;

    public LocalHostProcess()
    {
        _root = Path.Combine(Path.GetTempPath(), "imagepipeline-local-tests", Guid.NewGuid().ToString("N"));
        DataDirectory = Path.Combine(_root, "data");
        Directory.CreateDirectory(_root);
        Port = FreeLoopbackPort();
        BaseUrl = new Uri($"http://127.0.0.1:{Port}");
    }

    /// <summary>Extra command-line arguments for the next start (e.g. <c>--concurrency 1</c>), for hosts a test starts itself.</summary>
    public IReadOnlyList<string> ExtraArguments { get; set; } = [];

    /// <summary>Extra environment variables for the next start (e.g. the fault suite's test switches).</summary>
    public IDictionary<string, string> ExtraEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>The host's data directory (catalog.db, queue.db, objects/…).</summary>
    public string DataDirectory { get; }

    /// <summary>The loopback port the host listens on, the same across restarts.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:{Port}</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>How many times the process was started.</summary>
    public int Starts { get; private set; }

    /// <summary>An HTTP client for the running process: base address set, redirects NOT followed.</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("The host is not running.");

    /// <summary>Whether the process is alive.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the host wrote to stdout and stderr so far, across restarts.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The last <paramref name="characters"/> of <see cref="Output"/>, for failure messages.</summary>
    public string OutputTail(int characters = 8000)
    {
        var all = Output;
        return all.Length <= characters ? all : "…" + all[^characters..];
    }

    /// <summary>The entry assembly, copied beside the tests by the ProjectReference to src/ImagePipeline.Local.</summary>
    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "ImagePipeline.Local.dll");
            if (!File.Exists(path) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "ImagePipeline.Local.runtimeconfig.json")))
            {
                throw new FileNotFoundException(
                    "ImagePipeline.Local.dll (with its runtimeconfig.json) is not beside the tests; the ProjectReference to " +
                    "src/ImagePipeline.Local should have copied it into " + AppContext.BaseDirectory,
                    path);
            }

            return path;
        }
    }

    /// <summary>Starts the process and waits until <c>GET /v1/health</c> answers 200 (else fails with the host's output).</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The host is already running.");
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = _root,
        };
        start.ArgumentList.Add(DllPath);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseUrl.ToString().TrimEnd('/'));
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(DataDirectory);
        foreach (var argument in ExtraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The default libvips and a production host, whatever the developer's shell says.
        start.Environment.Remove(LibvipsVariable);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in ExtraEnvironment)
        {
            start.Environment[name] = value;
        }

        Starts++;
        Append($"=== start #{Starts}: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start " + start.FileName);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        _process = process;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = BaseUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"The host exited with code {process.ExitCode} before answering /v1/health.{Environment.NewLine}{OutputTail()}");
            }

            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await _http.GetAsync("/v1/health", probe.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Not listening yet.
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                await KillAsync();
                throw new TimeoutException($"The host did not answer GET /v1/health with 200 within {StartTimeout.TotalSeconds:0} s.{Environment.NewLine}{OutputTail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills the process and its children at once (SIGKILL: no shutdown, no flushing), as a crash would.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        _http?.Dispose();
        _http = null;
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
        Append($"=== killed (exit code {process.ExitCode})");
        process.Dispose();
    }

    /// <summary>
    /// Stops the process as Ctrl+C does (SIGINT: a graceful shutdown) and waits for it to exit; kills it if it has not
    /// exited within <paramref name="timeout"/>. Returns the exit code.
    /// </summary>
    public async Task<int> InterruptAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("The host is not running.");
        using (var signal = Process.Start(new ProcessStartInfo("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await signal.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"The host did not stop within {timeout.TotalSeconds:0} s of SIGINT.{Environment.NewLine}{OutputTail()}");
        }

        _process = null;
        _http?.Dispose();
        _http = null;
        var code = process.ExitCode;
        Append($"=== interrupted (exit code {code})");
        process.Dispose();
        return code;
    }

    /// <summary>Kills the process (if running) and starts it again on the same port and data directory.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        await KillAsync();
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
    public static string DotnetHost()
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
