namespace ImagePipeline.Functions.Tests;

/// <summary>
/// A published function package, what the CDK app zips: its layout, and that no native file in it needs more of the
/// C and C++ runtime than Amazon Linux 2023 (the provided.al2023 runtime's OS) has. Run on each of the three packages.
/// </summary>
public abstract class PackageTests(PublishedPackage package)
{
    /// <summary>Amazon Linux 2023 has glibc 2.34.</summary>
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

    private IEnumerable<string> Files => Directory.EnumerateFiles(package.Folder, "*", SearchOption.AllDirectories);

    [Fact]
    public void Package_Layout_SelfContainedNativeBootstrapAndItsOwnLibvips()
    {
        var kind = package.Kind;
        Assert.True(ElfFile.IsElf(package.Bootstrap), "bootstrap must be a native executable, not a script or a dll");
        if (!OperatingSystem.IsWindows())
        {
            Assert.True(File.GetUnixFileMode(package.Bootstrap).HasFlag(UnixFileMode.UserExecute), "Lambda runs bootstrap directly: it must be executable");
        }

        Assert.True(File.Exists(Path.Combine(package.Folder, "runtimes", kind.RuntimeIdentifier, "native", "libvips.so.42")));
        Assert.True(File.Exists(Path.Combine(package.Folder, "wwwroot", "index.html")), "the api function serves the page from wwwroot/");

        // Only this architecture's libvips: runtimes/ holds exactly one folder.
        Assert.Equal([kind.RuntimeIdentifier], Directory.GetDirectories(Path.Combine(package.Folder, "runtimes")).Select(Path.GetFileName));
        Assert.DoesNotContain(Files, f => f.EndsWith(".pdb", StringComparison.Ordinal) || (f.EndsWith(".xml", StringComparison.Ordinal) && !f.Contains("wwwroot", StringComparison.Ordinal)));
        if (kind.NativeAot)
        {
            // The whole program is the executable: no assemblies, no runtime beside it.
            Assert.DoesNotContain(Files, f => f.EndsWith(".dll", StringComparison.Ordinal) || (f.EndsWith(".json", StringComparison.Ordinal) && !f.Contains("wwwroot", StringComparison.Ordinal)));
            Assert.False(File.Exists(Path.Combine(package.Folder, "libcoreclr.so")));
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(package.Folder, "bootstrap.dll")));
            Assert.True(File.Exists(Path.Combine(package.Folder, "libcoreclr.so")), "the runtime must be in the package (self-contained)");
            // A framework-dependent runtimeconfig names a "framework": the package would need a .NET install Lambda does not have.
            Assert.DoesNotContain("\"framework\"", File.ReadAllText(Path.Combine(package.Folder, "bootstrap.runtimeconfig.json")), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Package_EveryNativeFile_IsForItsArchitectureAndNeedsNoGlibcOrGccRuntimeNewerThanAmazonLinux2023()
    {
        var elfFiles = Files.Where(ElfFile.IsElf).ToList();
        var tooNew = new List<string>();
        var newestSeen = new Version(0, 0);
        foreach (var file in elfFiles)
        {
            var name = Path.GetRelativePath(package.Folder, file);
            Assert.True(ElfFile.Machine(file) == package.Kind.ElfMachine, $"{name} is for ELF machine {ElfFile.Machine(file)}, not {package.Kind.ElfMachine} ({package.Kind.RuntimeIdentifier})");
            foreach (var need in ElfFile.VersionNeeds(file))
            {
                if (ElfFile.GlibcVersion(need.Version) is { } version)
                {
                    newestSeen = version > newestSeen ? version : newestSeen;
                    if (version > NewestGlibc)
                    {
                        tooNew.Add($"{name} needs {need.Version} from {need.Library}");
                    }
                }

                foreach (var (prefix, newest) in NewestGccRuntime)
                {
                    if (need.Version.StartsWith(prefix, StringComparison.Ordinal)
                        && Version.TryParse(need.Version[prefix.Length..], out var runtimeVersion) && runtimeVersion > newest)
                    {
                        tooNew.Add($"{name} needs {need.Version} from {need.Library} (AL2023 has {prefix}{newest})");
                    }
                }
            }
        }

        // The check must have looked at the files that matter, or it proves nothing.
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "bootstrap");
        Assert.Contains(elfFiles, f => Path.GetFileName(f) == "libvips.so.42");
        if (!package.Kind.NativeAot)
        {
            Assert.Contains(elfFiles, f => Path.GetFileName(f) == "libcoreclr.so");
        }

        Assert.True(newestSeen >= new Version(2, 17), $"no GLIBC_ version needs found at all (newest {newestSeen}): is the ELF reader broken?");
        Assert.Contains(elfFiles.SelectMany(ElfFile.VersionNeeds), n => n.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal));
        Assert.True(tooNew.Count == 0, "Needs newer than Amazon Linux 2023 provides:" + Environment.NewLine + string.Join(Environment.NewLine, tooNew));
    }

    [Fact]
    public void ElfFile_Bootstrap_MatchesWhatTheLoaderNeedsFromLibc()
    {
        var needs = ElfFile.VersionNeeds(package.Bootstrap);

        Assert.Contains(needs, n => n.Library == "libc.so.6" && n.Version.StartsWith("GLIBC_2.", StringComparison.Ordinal));
        Assert.All(needs, n => Assert.False(string.IsNullOrEmpty(n.Library)));
    }
}

/// <summary>The default package, Native AOT x86_64.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AotPackageTests(AotPackage package) : PackageTests(package)
{
    [Fact]
    public void Bootstrap_NativeAot_SearchesItsOwnLibvipsFolderFirst()
    {
        // NetVips opens libvips.so.42 by bare name before Main; DT_RPATH (not RUNPATH, which comes after LD_LIBRARY_PATH)
        // makes that the bundled file (see the project file).
        Assert.Equal(["$ORIGIN/runtimes/linux-x64/native"], ElfFile.SearchPath(package.Bootstrap, out var isRunPath));
        Assert.False(isRunPath, "the search path must be DT_RPATH, which LD_LIBRARY_PATH cannot override");
    }
}

/// <summary>The x86_64 option, ReadyToRun.</summary>
[Collection(ReadyToRunCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ReadyToRunPackageTests(ReadyToRunPackage package) : PackageTests(package);

/// <summary>The arm64 package, ReadyToRun: every ELF file must be aarch64, the libvips NetVips.Native's arm64 build.</summary>
[Collection(Arm64Collection.Name)]
[Trait("Category", "Slow")]
public sealed class Arm64PackageTests(Arm64Package package) : PackageTests(package);
