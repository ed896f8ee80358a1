using System.Runtime.InteropServices;
using static ImagePipeline.Imaging.Interop.NativeMethods;

namespace ImagePipeline.Imaging.Interop;

/// <summary>The process-wide libvips runtime: loaded and initialised once, hardened, and probed for features.</summary>
internal static class Vips
{
    /// <summary>The only loaders ever allowed to run, whatever else the libvips build contains.</summary>
    public static readonly string[] AllowedLoaders =
        ["jpegload_buffer", "pngload_buffer", "webpload_buffer", "gifload_buffer", "heifload_buffer", "tiffload_buffer"];

    private static readonly Lock Gate = new();
    private static bool s_initialised;

    public static Version Version { get; private set; } = new();

    /// <summary>Savers take <c>keep</c> (8.15+); older ones only <c>strip</c>.</summary>
    public static bool SaversHaveKeep { get; private set; }

    /// <summary>Name of webpsave's effort argument: <c>effort</c> (8.12+) or <c>reduction_effort</c>.</summary>
    public static string WebpEffortArgument { get; private set; } = "effort";

    /// <summary>Loads and initialises libvips (idempotent) and applies <paramref name="concurrency"/> when given.</summary>
    public static void Initialize(int? concurrency)
    {
        lock (Gate)
        {
            if (!s_initialised)
            {
                LibvipsLibrary.EnsureLoaded();
                if (vips_init("imagepipeline") != 0)
                {
                    throw VipsException.FromErrorBuffer("vips_init failed");
                }

                Version = new Version(vips_version(0), vips_version(1), vips_version(2));
                if (Version < new Version(8, 14))
                {
                    throw new VipsException($"libvips {Version} from {LibvipsLibrary.LoadedFrom} is too old: 8.14 or newer is required.");
                }

                RouteWarnings();

                // Every image is new to a pipeline, so the operation cache would only pin inputs in memory.
                vips_cache_set_max(0);
                vips_cache_set_max_mem(0);
                vips_cache_set_max_files(0);
                Harden();
                DetectFeatures();
                s_initialised = true;
            }

            if (concurrency is { } threads)
            {
                vips_concurrency_set(threads);
            }
        }
    }

    public static int Concurrency => vips_concurrency_get();

    public static string LoadedFrom => LibvipsLibrary.LoadedFrom ?? "(not loaded)";

    /// <summary>Whether an operation with this nickname exists and is not blocked.</summary>
    public static bool HasOperation(string nickname) => vips_type_find("VipsOperation", nickname) != 0;

    /// <summary>Receives libvips' warnings (e.g. "error in tile" while a probe fails on purpose); null drops them.</summary>
    public static Action<string>? WarningSink { get; set; }

    // GLib's default handler prints every libvips warning to stderr, including the expected ones of a failed
    // probe; the failures that matter reach callers as errors, so warnings go to an optional sink instead.
    private static unsafe void RouteWarnings()
    {
        const int warningMessageInfoDebug = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);
        g_log_set_handler("VIPS", warningMessageInfoDebug, &OnLog, 0);
    }

    [UnmanagedCallersOnly]
    private static void OnLog(nint domain, int level, nint message, nint userData)
    {
        try
        {
            if (WarningSink is { } sink && Marshal.PtrToStringUTF8(message) is { } text)
            {
                sink(text);
            }
        }
        catch (Exception)
        {
            // An exception must never unwind into native code.
        }
    }

    private static void Harden()
    {
        // Belt and braces: block what libvips marks untrusted, then every loader, then re-allow only the list.
        vips_block_untrusted_set(1);
        vips_operation_block_set("VipsForeignLoad", 1);
        foreach (var nickname in AllowedLoaders)
        {
            var type = vips_type_find("VipsOperation", nickname);
            if (type != 0 && Marshal.PtrToStringUTF8(g_type_name(type)) is { } className)
            {
                vips_operation_block_set(className, 0);
            }
        }
    }

    private static void DetectFeatures()
    {
        using var webp = VipsOperation.New("webpsave_buffer");
        SaversHaveKeep = webp.HasArgument("keep");
        WebpEffortArgument = webp.HasArgument("effort") ? "effort" : "reduction_effort";
    }
}
