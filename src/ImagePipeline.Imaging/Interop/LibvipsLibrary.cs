using System.Reflection;
using System.Runtime.InteropServices;

namespace ImagePipeline.Imaging.Interop;

/// <summary>
/// Finds and loads libvips once: an explicit <c>IMAGEPIPELINE_LIBVIPS</c> path, else the copy the build placed under
/// <c>runtimes/{rid}/native/</c>, else a system <c>libvips.so.42</c>. Every P/Invoke of this assembly resolves to it.
/// </summary>
internal static class LibvipsLibrary
{
    public const string EnvironmentVariable = "IMAGEPIPELINE_LIBVIPS";
    public const string SystemLibrary = "libvips.so.42";

    private static readonly Lock Gate = new();
    private static nint s_handle;

    public static string? LoadedFrom { get; private set; }

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (s_handle != 0)
            {
                return;
            }

            var attempts = new List<string>();
            var handle = Load(attempts);
            if (handle == 0)
            {
                throw new LibvipsNotFoundException(
                    "libvips could not be loaded. Tried, in order:" + Environment.NewLine +
                    string.Join(Environment.NewLine, attempts.Select(a => "  - " + a)) + Environment.NewLine +
                    "Fix one of them: run 'npm ci' in the repository (the build does this when node_modules is missing), " +
                    $"set {EnvironmentVariable} to a libvips shared library, or install libvips42 (apt-get install libvips42).");
            }

            s_handle = handle;
            NativeLibrary.SetDllImportResolver(typeof(LibvipsLibrary).Assembly, Resolve);
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.Library ? s_handle : 0;

    private static nint Load(List<string> attempts)
    {
        var explicitPath = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit choice is never silently replaced by another build.
            return TryLoad(explicitPath, $"{EnvironmentVariable}={explicitPath}", attempts);
        }

        attempts.Add($"{EnvironmentVariable}: not set");
        foreach (var bundled in BundledCandidates())
        {
            var handle = TryLoad(bundled, "bundled " + bundled, attempts);
            if (handle != 0)
            {
                return handle;
            }
        }

        return TryLoad(SystemLibrary, "system " + SystemLibrary, attempts);
    }

    private static IEnumerable<string> BundledCandidates()
    {
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var folder = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");
        var found = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "libvips-cpp.so.*").OrderDescending(StringComparer.Ordinal).ToArray()
            : [];
        return found.Length > 0 ? found : [Path.Combine(folder, "libvips-cpp.so.*") + " (no file)"];
    }

    private static nint TryLoad(string path, string label, List<string> attempts)
    {
        if (path.EndsWith("(no file)", StringComparison.Ordinal))
        {
            attempts.Add(label);
            return 0;
        }

        try
        {
            var handle = NativeLibrary.Load(path);
            LoadedFrom = path;
            attempts.Add(label + ": loaded");
            return handle;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            attempts.Add($"{label}: {e.Message.Split(Environment.NewLine)[0]}");
            return 0;
        }
    }
}

/// <summary>No usable libvips was found; the message lists every place that was tried.</summary>
public sealed class LibvipsNotFoundException(string message) : Exception(message);
