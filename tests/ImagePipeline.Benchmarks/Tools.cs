namespace ImagePipeline.Benchmarks;

/// <summary>An external program found for the comparison.</summary>
/// <param name="Path">Absolute path of the executable.</param>
/// <param name="Version">The first line of its version output.</param>
internal sealed record ExternalTool(string Path, string Version);

/// <summary>Finds vipsthumbnail and a real ImageMagick, running each one's version command with the spawn helper.</summary>
internal static class Tools
{
    /// <summary>vipsthumbnail on PATH, or null with the reason.</summary>
    public static ExternalTool? FindVipsThumbnail(string logDirectory, out string? note)
    {
        var path = FindOnPath("vipsthumbnail");
        if (path is null)
        {
            note = "vipsthumbnail is not on PATH: its rows are skipped.";
            return null;
        }

        var version = VersionOf(path, "--version", logDirectory);
        note = null;
        return new ExternalTool(path, version ?? "(version unknown)");
    }

    /// <summary>
    /// ImageMagick: <c>magick</c> on PATH, else <c>/usr/bin/convert</c>, each accepted only when <c>-version</c> says
    /// "ImageMagick" (a <c>convert</c> earlier on PATH may be a stand-in, so PATH's <c>convert</c> is never used).
    /// </summary>
    public static ExternalTool? FindImageMagick(string logDirectory, out string? note)
    {
        var rejected = new List<string>();
        foreach (var candidate in new[] { FindOnPath("magick"), "/usr/bin/convert" })
        {
            if (candidate is null || !IsExecutable(candidate))
            {
                continue;
            }

            var version = VersionOf(candidate, "-version", logDirectory);
            if (version is not null && version.Contains("ImageMagick", StringComparison.Ordinal))
            {
                note = null;
                return new ExternalTool(candidate, version);
            }

            rejected.Add(candidate);
        }

        note = "ImageMagick not found (tried magick on PATH and /usr/bin/convert"
            + (rejected.Count > 0 ? $"; {string.Join(", ", rejected)} did not report ImageMagick" : "")
            + "): its rows are skipped.";
        return null;
    }

    public static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutable(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static string? VersionOf(string path, string flag, string logDirectory)
    {
        var output = Path.Combine(logDirectory, Path.GetFileName(path) + "-version.txt");
        try
        {
            var result = ChildProcess.Run(path, [flag], output, output + ".err");
            var text = File.Exists(output) ? File.ReadAllText(output) : "";
            if (!result.Succeeded && text.Length == 0)
            {
                return null;
            }

            var firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            return firstLine;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
