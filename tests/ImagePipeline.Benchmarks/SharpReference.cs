using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Testing;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// The engine of AWS's Dynamic Image Transformation: npm sharp (the root package.json's devDependency) run by
/// <c>sharp-reference.mjs</c> in this folder. Benchmark only.
/// </summary>
/// <param name="Node">The node executable.</param>
/// <param name="Script">sharp-reference.mjs in the source tree (Node finds sharp in the repository's node_modules).</param>
/// <param name="SharpVersion">sharp's version, as the script reports it.</param>
/// <param name="LibvipsVersion">The libvips sharp loaded.</param>
/// <param name="Concurrency">sharp.concurrency(): libvips threads per pipeline (sharp's default is 1 on glibc Linux without jemalloc).</param>
internal sealed record SharpReference(string Node, string Script, string SharpVersion, string LibvipsVersion, int Concurrency)
{
    public string Version => $"sharp {SharpVersion}, libvips {LibvipsVersion}, sharp.concurrency() {Concurrency}";

    public const string Method = "each output its own pipeline from the original bytes (as DIT serves one request per output), the five at once";

    /// <summary>node on PATH with sharp installed, or null with the reason.</summary>
    public static SharpReference? Find(string logDirectory, out string? note)
    {
        var node = Tools.FindOnPath("node");
        if (node is null)
        {
            note = "node is not on PATH: the sharp rows are skipped.";
            return null;
        }

        var root = RepositoryRoot.Find();
        var script = Path.Combine(root, "tests", "ImagePipeline.Benchmarks", "sharp-reference.mjs");
        if (!File.Exists(Path.Combine(root, "node_modules", "sharp", "package.json")))
        {
            note = $"node_modules/sharp is missing in {root} (run 'npm ci' there): the sharp rows are skipped.";
            return null;
        }

        var stdout = Path.Combine(logDirectory, "sharp-version.txt");
        var stderr = stdout + ".err";
        var result = ChildProcess.Run(node, [script, "version"], stdout, stderr);
        if (!result.Succeeded)
        {
            note = $"'node {script} version' failed ({result.Describe()}; see {stderr}): the sharp rows are skipped.";
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(stdout));
            var versions = json.RootElement;
            note = null;
            return new SharpReference(
                node,
                script,
                versions.GetProperty("sharp").GetString() ?? "?",
                versions.GetProperty("vips").GetString() ?? "?",
                versions.GetProperty("concurrency").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            note = $"'node {script} version' printed no versions ({e.Message}; see {stdout}): the sharp rows are skipped.";
            return null;
        }
    }

    /// <summary>The recipe as the script reads it: the planned renditions (names and widths) and the thumbnail.</summary>
    public static string RecipeJson(IReadOnlyList<(string Name, int Width)> plan, ImageRecipe recipe) =>
        JsonSerializer.Serialize(new
        {
            renditions = plan.Select(p => new { name = p.Name, width = p.Width }),
            quality = recipe.Renditions.Quality,
            effort = recipe.Renditions.Effort,
            thumbnail = new { size = recipe.Thumbnail.Size, quality = recipe.Thumbnail.Quality, effort = recipe.Thumbnail.Effort },
        });

    /// <summary>One process making the five outputs once (and writing them to <paramref name="outputDirectory"/>).</summary>
    public Command Once(string input, string recipeJson, string? outputDirectory = null) =>
        new(Node, outputDirectory is null ? [Script, "full", input, recipeJson] : [Script, "full", input, recipeJson, outputDirectory]);

    /// <summary>Node loading sharp and exiting: the baseline of <see cref="Once"/>.</summary>
    public Command Init() => new(Node, [Script, "init"]);

    /// <summary>A warm Node process that makes the outputs once per <see cref="SharpServer.RunOnce"/>.</summary>
    public SharpServer Serve(string input, string recipeJson, IReadOnlyList<(string Name, int Width)> plan, int thumbnailSize, string logPrefix) =>
        new(this, input, recipeJson, plan, thumbnailSize, logPrefix);
}

/// <summary>
/// sharp-reference.mjs in serve mode, a warm Node process on a loopback port: it times itself (wall and process CPU)
/// around each run, so the numbers compare with our engine's in-process ones. Its RSS is not measured (the
/// <c>full</c> child is, like ours). Started through <see cref="ChildProcess"/>, never <see cref="Process"/>: .NET's
/// own child reaping would race the wait4 calls the other measurements rely on.
/// </summary>
internal sealed class SharpServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30), RunTimeout = TimeSpan.FromMinutes(5);

    private readonly RunningChild _child;
    private readonly HttpClient _http;
    private readonly IReadOnlyList<(string Name, int Width)> _plan;
    private readonly int _thumbnailSize;
    private readonly string _stderrPath;
    private bool _ended;

    public SharpServer(SharpReference sharp, string input, string recipeJson, IReadOnlyList<(string Name, int Width)> plan, int thumbnailSize, string logPrefix)
    {
        _plan = plan;
        _thumbnailSize = thumbnailSize;
        _stderrPath = logPrefix + ".stderr.txt";
        Command = new Command(sharp.Node, ["--expose-gc", sharp.Script, "serve", input, "RECIPE"]);
        var stdout = logPrefix + ".stdout.txt";
        _child = ChildProcess.Start(sharp.Node, ["--expose-gc", sharp.Script, "serve", input, recipeJson], stdout, _stderrPath);
        try
        {
            var port = WaitForPort(stdout);
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = RunTimeout };
        }
        catch
        {
            End();
            throw;
        }
    }

    /// <summary>The command line, for the report (the recipe JSON shortened to RECIPE).</summary>
    public Command Command { get; }

    /// <summary>One run: its wall and CPU time as the script measured them; throws when it failed or made wrong outputs.</summary>
    public Sample RunOnce()
    {
        string body;
        try
        {
            using var response = _http.Send(new HttpRequestMessage(HttpMethod.Post, "/run"));
            using var reader = new StreamReader(response.Content.ReadAsStream());
            body = reader.ReadToEnd();
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandFailedException(Command, $"HTTP {(int)response.StatusCode}: {body}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            throw new CommandFailedException(Command, $"no answer ({e.Message}; stderr in {_stderrPath})");
        }

        using var json = JsonDocument.Parse(body);
        var answer = json.RootElement;
        var outputs = answer.GetProperty("outputs").EnumerateArray()
            .Select(o => (Name: o.GetProperty("name").GetString() ?? "", Width: o.GetProperty("width").GetInt32(), Height: o.GetProperty("height").GetInt32()))
            .ToList();
        var expected = _plan.Select(p => (p.Name, p.Width)).Append(("thumb", _thumbnailSize));
        if (!outputs.Select(o => (o.Name, o.Width)).SequenceEqual(expected) || outputs[^1].Height != _thumbnailSize)
        {
            throw new CommandFailedException(Command, "unexpected outputs: " + string.Join(", ", outputs.Select(o => $"{o.Name}={o.Width}x{o.Height}")));
        }

        return new Sample(answer.GetProperty("wallMs").GetDouble(), answer.GetProperty("cpuMs").GetDouble(), -1, []);
    }

    public void Dispose()
    {
        _http.Dispose();
        End();
    }

    /// <summary>The port the script prints once it listens; throws if it exits or stays silent.</summary>
    private int WaitForPort(string stdout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var line = File.Exists(stdout) ? File.ReadLines(stdout).FirstOrDefault() : null;
            if (line is not null && line.EndsWith('}'))
            {
                using var json = JsonDocument.Parse(line);
                return json.RootElement.GetProperty("port").GetInt32();
            }

            if (ChildProcess.WaitForExit(_child, TimeSpan.Zero) is { } exited)
            {
                _ended = true;
                throw new CommandFailedException(Command, exited, File.Exists(_stderrPath) ? File.ReadAllText(_stderrPath).Trim() : "");
            }

            Thread.Sleep(20);
        }

        throw new CommandFailedException(Command, $"printed no port within {StartTimeout.TotalSeconds} s (stderr in {_stderrPath})");
    }

    /// <summary>SIGTERM, then SIGKILL if it lingers; reaps it either way.</summary>
    private void End()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        ChildProcess.Signal(_child.Pid, ChildProcess.SigTerm);
        if (ChildProcess.WaitForExit(_child, TimeSpan.FromSeconds(10)) is null)
        {
            ChildProcess.Signal(_child.Pid, ChildProcess.SigKill);
            _ = ChildProcess.WaitForExit(_child, TimeSpan.FromSeconds(10));
        }
    }
}
