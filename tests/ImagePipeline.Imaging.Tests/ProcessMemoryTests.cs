using ImagePipeline.Hosting;

namespace ImagePipeline.Imaging.Tests;

public sealed class ProcessMemoryTests
{
    [Fact]
    public void CapMallocArenas_GlibcWithoutMallocArenaMax_IsApplied()
    {
        Assert.SkipWhen(
            Environment.GetEnvironmentVariable(ProcessMemory.MallocArenaMaxVariable) is not null,
            "MALLOC_ARENA_MAX is set for this process: the operator's choice wins, so the cap is not applied.");
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc's mallopt exists on Linux only.");

        Assert.True(ProcessMemory.CapMallocArenas());
    }

    [Fact]
    public void CapMallocArenas_Zero_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessMemory.CapMallocArenas(0));
    }
}
