using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

/// <summary>The published function package: what the CDK app zips.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PackageTests(PublishedPackage package, AwsEmulators emulators)
{
    /// <summary>Amazon Linux 2023, the provided.al2023 runtime's OS, has glibc 2.34.</summary>
    private static readonly Version NewestGlibc = new(2, 34);

    /// <summary>
    /// The newest symbol versions Amazon Linux 2023's GCC 11 runtime libraries provide: libstdc++ (GLIBCXX_3.4.29,
    /// CXXABI_1.3.13) and libgcc_s (GCC_7.0.0; GCC_12.0.0 arrived with GCC 12). libvips and the .NET runtime link them.
    /// </summary>
    private static readonly (string Prefix, Version Newest)[] NewestGccRuntime =
    [
        ("GLIBCXX_", new Version(3, 4, 29)),
        ("CXXABI_", new Version(1, 3, 13)),
        ("GCC_", new Version(11, 0)),
    ];

    [Fact]
    public void Package_BootstrapAndLibvips_SelfContainedNativeAndBundled()
    {
        _ = emulators;
        Assert.True(ElfVersionNeeds.IsElf(package.Bootstrap), "bootstrap must be a native executable (an apphost), not a script or a dll");
        Assert.True(File.Exists(Path.Combine(package.Folder, "bootstrap.dll")));
        Assert.True(File.Exists(Path.Combine(package.Folder, "libcoreclr.so")), "the runtime must be in the package (self-contained)");
        Assert.True(File.Exists(Path.Combine(package.Folder, "runtimes", "linux-x64", "native", "libvips.so.42")));
        Assert.False(File.Exists(Path.Combine(package.Folder, "bootstrap.runtimeconfig.json")) && File.ReadAllText(Path.Combine(package.Folder, "bootstrap.runtimeconfig.json")).Contains("\"framework\"", StringComparison.Ordinal),
            "a framework-dependent runtimeconfig means the package needs a .NET install Lambda does not have");
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(package.Bootstrap).HasFlag(UnixFileMode.UserExecute), "Lambda runs bootstrap directly: it must be executable");
        }
    }

    [Fact]
    public void Package_EveryNativeFile_NeedsNoGlibcOrGccRuntimeNewerThanAmazonLinux2023()
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

                foreach (var (prefix, newest) in NewestGccRuntime)
                {
                    if (need.Version.StartsWith(prefix, StringComparison.Ordinal)
                        && Version.TryParse(need.Version[prefix.Length..], out var runtimeVersion) && runtimeVersion > newest)
                    {
                        tooNew.Add($"{Path.GetRelativePath(package.Folder, file)} needs {need.Version} from {need.Library} (AL2023 has {prefix}{newest})");
                    }
                }
            }
        }

        // The check must have looked at the files that matter, or it proves nothing.
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "bootstrap");
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "libcoreclr.so");
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "libvips.so.42");
        Assert.True(newestSeen >= new Version(2, 17), $"no GLIBC_ version needs found at all (newest {newestSeen}): is the ELF reader broken?");
        Assert.Contains(elfFiles.SelectMany(ElfVersionNeeds.Read), n => n.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal));
        Assert.True(tooNew.Count == 0, "Needs newer than Amazon Linux 2023 provides:" + Environment.NewLine + string.Join(Environment.NewLine, tooNew));
    }

    [Fact]
    public void ElfVersionNeeds_Bootstrap_MatchesWhatTheLoaderNeedsFromLibc()
    {
        var needs = ElfVersionNeeds.Read(package.Bootstrap);

        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
        Assert.All(needs, n => Assert.False(string.IsNullOrEmpty(n.Library)));
    }
}
