namespace ImagePipeline.Web.Tests;

/// <summary>
/// Which Chromium drives the tests. Playwright's own browser download is never used: the system's Chromium is
/// (Debian's <c>chromium</c> package at /usr/bin/chromium), or whatever <c>PLAYWRIGHT_CHROMIUM_EXECUTABLE</c> names
/// (CI on GitHub's Ubuntu runners points it at the preinstalled Chrome).
/// </summary>
internal static class Chromium
{
    public const string ExecutableVariable = "PLAYWRIGHT_CHROMIUM_EXECUTABLE";
    public const string DefaultPath = "/usr/bin/chromium";
    public const string InstallHint = "install Debian chromium: apt-get install chromium";

    /// <summary>The browser's flags: headless, sandbox-free (containers), and no traffic of its own.</summary>
    public static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    /// <summary>The executable, or null with the reason it is missing.</summary>
    public static (string? Path, string? Missing) Find()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? (configured, null)
                : (null, $"{ExecutableVariable} is '{configured}', which does not exist");
        }

        return File.Exists(DefaultPath)
            ? (DefaultPath, null)
            : (null, $"no Chromium at {DefaultPath} and {ExecutableVariable} is not set");
    }

    /// <summary>On CI (<c>CI=true</c>) a missing browser is a failure, not a skip: the browser tests must run there.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
