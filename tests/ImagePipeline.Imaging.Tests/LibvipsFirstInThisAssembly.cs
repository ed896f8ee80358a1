using System.Runtime.CompilerServices;
using ImagePipeline.TestImages;

namespace ImagePipeline.Imaging.Tests;

internal static class LibvipsFirstInThisAssembly
{
#pragma warning disable CA2255 // Tests here call NetVips directly: the engine must choose libvips before any of them (see LibvipsFirst).
    [ModuleInitializer]
    internal static void Initialize() => LibvipsFirst.Ensure();
#pragma warning restore CA2255
}
