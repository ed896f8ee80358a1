using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

/// <summary>The published function package: what the CDK app zips.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PackageTests(PublishedPackage package, AwsEmulators emulators)
{
    /// <summary>Amazon Linux 2023, the provided.al2023 runtime's OS, has glibc 2.34.</summary>
    private static readonly Version NewestGlibc = new(2, 34);

    [Fact]
    public void Package_BootstrapAndLibvips_SelfContainedNativeAndBundled()
    {
        _ = emulators;
        Assert.True(ElfVersionNeeds.IsElf(package.Bootstrap), "bootstrap must be a native executable (an apphost), not a script or a dll");
        Assert.True(File.Exists(Path.Combine(package.Folder, "bootstrap.dll")));
        Assert.True(File.Exists(Path.Combine(package.Folder, "libcoreclr.so")), "the runtime must be in the package (self-contained)");
        Assert.True(File.Exists(Path.Combine(package.Folder, "runtimes", "linux-x64", "native", "libvips-cpp.so.8.18.7")));
        Assert.False(File.Exists(Path.Combine(package.Folder, "bootstrap.runtimeconfig.json")) && File.ReadAllText(Path.Combine(package.Folder, "bootstrap.runtimeconfig.json")).Contains("\"framework\"", StringComparison.Ordinal),
            "a framework-dependent runtimeconfig means the package needs a .NET install Lambda does not have");
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(package.Bootstrap).HasFlag(UnixFileMode.UserExecute), "Lambda runs bootstrap directly: it must be executable");
        }
    }

    [Fact]
    public void Package_EveryNativeFile_NeedsNoGlibcNewerThanAmazonLinux2023()
    {
        var elfFiles = Directory.EnumerateFiles(package.Folder, "*", SearchOption.AllDirectories).Where(ElfVersionNeeds.IsElf).ToList();
        var tooNew = new List<string>();
        var newestSeen = new Version(0, 0);
        foreach (var file in elfFiles)
        {
            foreach (var need in ElfVersionNeeds.Read(file))
            {
                if (ElfVersionNeeds.GlibcVersion(need.Version) is { } version)
                {
                    newestSeen = version > newestSeen ? version : newestSeen;
                    if (version > NewestGlibc)
                    {
                        tooNew.Add($"{Path.GetRelativePath(package.Folder, file)} needs {need.Version} from {need.Library}");
                    }
                }
            }
        }

        // The check must have looked at the files that matter, or it proves nothing.
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "bootstrap");
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "libcoreclr.so");
        Assert.Contains(elfFiles, f => Path.GetFileName(f).StartsWith("libvips-cpp.so", StringComparison.Ordinal));
        Assert.True(newestSeen >= new Version(2, 17), $"no GLIBC_ version needs found at all (newest {newestSeen}): is the ELF reader broken?");
        Assert.True(tooNew.Count == 0, "Needs newer than GLIBC_2.34:" + Environment.NewLine + string.Join(Environment.NewLine, tooNew));
    }

    [Fact]
    public void ElfVersionNeeds_Bootstrap_MatchesWhatTheLoaderNeedsFromLibc()
    {
        var needs = ElfVersionNeeds.Read(package.Bootstrap);

        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
        Assert.All(needs, n => Assert.False(string.IsNullOrEmpty(n.Library)));
    }
}
