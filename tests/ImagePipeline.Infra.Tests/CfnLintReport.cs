using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ImagePipeline.Infra.Tests;

/// <summary>One finding of cfn-lint: rule id (E…, W…, I…), level, message and where in the template.</summary>
public sealed record CfnLintFinding(string Rule, string Level, string Message, string Location)
{
    public override string ToString() => $"{Rule} ({Level}) at {Location}: {Message}";
}

/// <summary>
/// cfn-lint (AWS's CloudFormation linter) run once over the templates the tests synthesized, with the repository's
/// settings (infra/cfn-lint.yaml: the one place where ignored rules are listed, each with its reason).
/// </summary>
public sealed class CfnLintReport
{
    /// <summary>Set to <c>1</c> (the GitHub workflow does) to fail instead of skipping when cfn-lint is not installed.</summary>
    public const string RequireVariable = "IMAGEPIPELINE_REQUIRE_CFN_LINT";

    /// <summary>Overrides where cfn-lint is found.</summary>
    public const string ExecutableVariable = "CFN_LINT";

    private CfnLintReport(string? missing, string version, IReadOnlyDictionary<string, IReadOnlyList<CfnLintFinding>> findings)
    {
        Missing = missing;
        Version = version;
        Findings = findings;
    }

    /// <summary>The settings file every run uses.</summary>
    public static string ConfigFile => Path.Combine(FunctionPackage.RepositoryRoot, "infra", "cfn-lint.yaml");

    /// <summary>Why cfn-lint did not run (it is not installed), or null.</summary>
    public string? Missing { get; }

    /// <summary>What <c>cfn-lint --version</c> printed.</summary>
    public string Version { get; }

    /// <summary>Findings by configuration name (every linted configuration has an entry, empty when clean).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<CfnLintFinding>> Findings { get; }

    /// <summary>Runs cfn-lint on the templates <paramref name="stacks"/> gives (called only when cfn-lint exists).</summary>
    public static CfnLintReport Run(Func<IReadOnlyList<Synthesized>> stacks)
    {
        var executable = Find();
        if (executable is null)
        {
            return new CfnLintReport(
                $"cfn-lint is not installed (not on PATH, nor in ${ExecutableVariable}): the templates were not linted. " +
                "Install it with `pip install cfn-lint==1.51.0` (the version the GitHub workflow pins).",
                "", new Dictionary<string, IReadOnlyList<CfnLintFinding>>());
        }

        var version = Execute(executable, ["--version"]).Trim();
        var templates = stacks();
        var byPath = templates.ToDictionary(t => Path.GetFullPath(t.TemplatePath), t => t.Name, StringComparer.Ordinal);
        // JSON output, and an exit code that reports only a failure of cfn-lint itself (findings are judged by the tests).
        var output = Execute(executable, ["--config-file", ConfigFile, "--format", "json", "--non-zero-exit-code", "none", .. byPath.Keys]);

        var findings = byPath.Values.ToDictionary(name => name, _ => new List<CfnLintFinding>(), StringComparer.Ordinal);
        foreach (var match in JsonNode.Parse(output)!.AsArray().Select(m => m!))
        {
            var file = Path.GetFullPath((string)match["Filename"]!);
            var location = string.Join('/', match["Location"]?["Path"]?.AsArray().Select(p => p?.ToString()) ?? []);
            findings[byPath[file]].Add(new CfnLintFinding((string)match["Rule"]!["Id"]!, (string)match["Level"]!, (string)match["Message"]!, location));
        }

        return new CfnLintReport(null, version, findings.ToDictionary(f => f.Key, f => (IReadOnlyList<CfnLintFinding>)f.Value, StringComparer.Ordinal));
    }

    private static string? Find()
    {
        if (System.Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        var candidates = (System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(home, ".local", "bin"))
            .Append(Path.Combine(home, ".pyenv", "shims"))
            .Select(folder => Path.Combine(folder, "cfn-lint"));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string Execute(string executable, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} {string.Join(' ', arguments)} did not finish in 5 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{executable} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}{stdout}");
        }

        return stdout;
    }
}
