using System.Runtime.CompilerServices;
using ImagePipeline.Imaging;

namespace ImagePipeline.TestImages;

/// <summary>
/// Test code calls NetVips directly (to make and inspect images), and the JIT may initialise NetVips' types — and with
/// them its module initializer, which binds a <c>libvips.so.42</c> by name — while compiling such a method, before
/// any engine exists to choose the library. Every assembly that does so starts the engine from its own module
/// initializer, which runs before any of its code.
/// </summary>
public static class LibvipsFirst
{
    /// <summary>Starts the engine once (choosing and loading the bundled libvips) in this process.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Ensure() => _ = Engine.Value;

    private static readonly Lazy<LibvipsImageEngine> Engine = new(() => new LibvipsImageEngine());

#pragma warning disable CA2255 // A test library: the point is to run before any test code touches NetVips.
    [ModuleInitializer]
    internal static void Initialize() => Ensure();
#pragma warning restore CA2255
}
