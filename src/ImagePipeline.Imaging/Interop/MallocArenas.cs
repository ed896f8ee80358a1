using System.Runtime.InteropServices;

namespace ImagePipeline.Imaging.Interop;

/// <summary>glibc's <c>mallopt(M_ARENA_MAX)</c>; see <see cref="ProcessMemory.CapMallocArenas"/> for why.</summary>
internal static partial class MallocArenas
{
    private const int MArenaMax = -8;

    /// <summary>The environment variable glibc reads at start-up; when set, it is the operator's choice and is kept.</summary>
    public const string EnvironmentVariable = "MALLOC_ARENA_MAX";

    /// <summary>Applies the cap where glibc is the allocator; true when applied.</summary>
    public static bool TryLimit(int arenas)
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable)))
        {
            return false;
        }

        try
        {
            // mallopt returns 1 on success; only arenas created from now on are affected, so call this early.
            return mallopt(MArenaMax, arenas) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one): nothing to tune.
            return false;
        }
    }

    [LibraryImport("libc.so.6")]
    private static partial int mallopt(int param, int value);
}
