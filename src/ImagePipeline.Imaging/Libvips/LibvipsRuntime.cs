using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetVips;

namespace ImagePipeline.Imaging.Libvips;

/// <summary>
/// The process-wide libvips under NetVips: chosen before NetVips binds to one, checked, hardened, probed for features.
/// </summary>
/// <remarks>
/// NetVips loads <c>libvips.so.42</c> by bare name from a module initializer and falls back silently to whatever the
/// system has (Debian's 8.14, which decodes differently). The build ships NetVips.Native's library outside the probed
/// paths (<c>runtimes/{rid}/native/</c>, not in the deps file), and it is loaded here by absolute path first: glibc then
/// hands NetVips the already-loaded object of that soname. <c>IMAGEPIPELINE_LIBVIPS</c> names another library on
/// purpose (the system's, which also decodes HEIC). Whichever was meant, NetVips must be bound to exactly that file:
/// anything else (a module initializer that ran first and found the system copy) fails with the reason.
/// </remarks>
internal static class LibvipsRuntime
{
    public const string EnvironmentVariable = "IMAGEPIPELINE_LIBVIPS";

    /// <summary>The file name NetVips binds to on Linux, and the name of the bundled copy.</summary>
    public const string LibraryName = "libvips.so.42";

    /// <summary>The only loaders ever allowed to run, whatever else the libvips build contains.</summary>
    public static readonly string[] AllowedLoaders =
        ["jpegload_source", "pngload_source", "webpload_source", "gifload_source", "heifload_source", "tiffload_source"];

    private static readonly Lock Gate = new();
    private static bool s_initialised;

    public static Version Version { get; private set; } = new();

    /// <summary>Where the library came from: the bundled path or the one <c>IMAGEPIPELINE_LIBVIPS</c> names.</summary>
    public static string LoadedFrom { get; private set; } = "(not loaded)";

    /// <summary>Savers take <c>keep</c> (8.15+); older ones only <c>strip</c>.</summary>
    public static bool SaversHaveKeep { get; private set; }

    /// <summary>Name of webpsave's effort argument: <c>effort</c> (8.12+) or <c>reduction_effort</c>.</summary>
    public static string WebpEffortArgument { get; private set; } = "effort";

    /// <summary>Receives libvips' warnings (e.g. "error in tile" while a probe fails on purpose); null drops them.</summary>
    public static Action<string>? WarningSink { get; set; }

    /// <summary>The bundled library's version, stamped into this assembly by the build (NetVips.Native's version).</summary>
    public static Version BundledVersion { get; } = Version.Parse(
        typeof(LibvipsRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BundledLibvips").Value!);

    /// <summary>Chooses, binds and initialises libvips (idempotent) and applies <paramref name="concurrency"/> when given.</summary>
    /// <exception cref="LibvipsNotFoundException">No usable libvips, or NetVips bound to another than the one chosen.</exception>
    public static void Initialize(int? concurrency)
    {
        lock (Gate)
        {
            if (!s_initialised)
            {
                var (path, explicitChoice) = Choose();
                var handle = Preload(path, explicitChoice);
                Bind(path, handle, explicitChoice);
                Configure(path);
                LoadedFrom = path;
                s_initialised = true;
            }

            if (concurrency is { } threads)
            {
                SetConcurrency(threads);
            }
        }
    }

    public static int Concurrency => NetVips.NetVips.Concurrency;

    // Every method that touches a NetVips type is kept out of Initialize's own code: compiling a method that reads
    // NetVips' statics can run its module initializer, which would bind libvips before Preload has chosen it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetConcurrency(int threads) => NetVips.NetVips.Concurrency = threads;

    /// <summary>Whether an operation with this nickname exists and is not blocked.</summary>
    public static bool HasOperation(string nickname) => NetVips.NetVips.TypeFind("VipsOperation", nickname) != 0;

    /// <summary>Where the build puts the bundled library for this process's architecture.</summary>
    public static string BundledPath =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64", "native", LibraryName);

    private static (string Path, bool Explicit) Choose()
    {
        var chosen = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(chosen) ? (BundledPath, false) : (chosen, true);
    }

    private static nint Preload(string path, bool explicitChoice)
    {
        if (!explicitChoice && !File.Exists(path))
        {
            throw new LibvipsNotFoundException(
                $"The bundled libvips {BundledVersion} is missing: {path} does not exist (the build copies it from the NetVips.Native package). " +
                $"Rebuild, or set {EnvironmentVariable} to run on another libvips on purpose (e.g. Debian's: {EnvironmentVariable}=/usr/lib/x86_64-linux-gnu/{LibraryName}).");
        }

        try
        {
            return NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            var what = explicitChoice ? $"{EnvironmentVariable}={path}" : $"the bundled {path}";
            throw new LibvipsNotFoundException($"libvips could not be loaded from {what}: {e.Message.Split(Environment.NewLine)[0]}");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Bind(string path, nint handle, bool explicitChoice)
    {
        // Reading the field runs NetVips' module initializer if it has not run yet (under Native AOT it ran before
        // Main, possibly without finding a library: then it is run again, now that the chosen one is loaded).
        if (!ModuleInitializer.VipsInitialized)
        {
            ModuleInitializer.Initialize();
        }

        if (!ModuleInitializer.VipsInitialized)
        {
            throw new LibvipsNotFoundException(
                $"NetVips could not initialise libvips from {path}: {ModuleInitializer.Exception?.Message ?? "no reason given"}");
        }

        // NetVips resolves by bare name with the same probing as this call: the same export address means the same file.
        var bound = NativeLibrary.Load(LibraryName, typeof(Image).Assembly, null);
        if (NativeLibrary.GetExport(bound, "vips_version") != NativeLibrary.GetExport(handle, "vips_version"))
        {
            throw new LibvipsNotFoundException(
                $"NetVips bound libvips {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)} from another file before the engine could load the one chosen ({path}): " +
                $"something initialised NetVips first. Under Native AOT that is NetVips' own start-up, which {EnvironmentVariable} cannot redirect.");
        }

        Version = new Version(NetVips.NetVips.Version(0), NetVips.NetVips.Version(1), NetVips.NetVips.Version(2));
        if (!explicitChoice && Version != BundledVersion)
        {
            throw new LibvipsNotFoundException($"The bundled libvips at {path} is {Version}, but this build expects {BundledVersion}.");
        }

        if (Version < new Version(8, 14))
        {
            throw new LibvipsNotFoundException($"libvips {Version} from {path} is too old: 8.14 or newer is required.");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Configure(string path)
    {
        try
        {
            Harden();
        }
        catch (VipsException e)
        {
            throw new LibvipsNotFoundException($"libvips {Version} from {path} could not be set up: {e.Message}");
        }
    }

    private static void Harden()
    {
        // GLib's default handler prints every libvips warning to stderr, including the expected ones of a failed
        // probe; the failures that matter reach callers as errors, so warnings go to an optional sink instead.
        Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info | Enums.LogLevelFlags.Debug, OnLog);

        // Every image is new to a pipeline, so the operation cache would only pin inputs in memory.
        Cache.Max = 0;
        Cache.MaxMem = 0;
        Cache.MaxFiles = 0;

        // Belt and braces: block what libvips marks untrusted, then every loader, then re-allow only the list.
        NetVips.NetVips.BlockUntrusted = true;
        Operation.Block("VipsForeignLoad", true);
        foreach (var nickname in AllowedLoaders)
        {
            var type = NetVips.NetVips.TypeFind("VipsOperation", nickname);
            if (type != 0)
            {
                Operation.Block(NetVips.NetVips.TypeName(type), false);
            }
        }

        using var webp = Operation.NewFromName("webpsave_buffer");
        SaversHaveKeep = webp.GetTypeOf("keep") != 0;
        WebpEffortArgument = webp.GetTypeOf("effort") != 0 ? "effort" : "reduction_effort";
    }

    private static void OnLog(string domain, Enums.LogLevelFlags level, string message)
    {
        try
        {
            WarningSink?.Invoke(message);
        }
        catch (Exception)
        {
            // An exception must never unwind into native code.
        }
    }
}
