namespace ImagePipeline.Testing;

/// <summary>
/// One of the function packages src/ImagePipeline.Functions publishes: Native AOT for x86_64 (the default), ReadyToRun
/// for x86_64 (<c>-p:PublishAot=false</c>) and ReadyToRun for arm64 (Native AOT cannot link arm64 on an x64 machine).
/// </summary>
/// <param name="Name">A short name for reports.</param>
/// <param name="RuntimeIdentifier">linux-x64 or linux-arm64.</param>
/// <param name="NativeAot">A Native AOT executable; otherwise a self-contained ReadyToRun app behind an apphost.</param>
public sealed record FunctionPackageKind(string Name, string RuntimeIdentifier, bool NativeAot)
{
    /// <summary>The default package: what <c>dotnet publish src/ImagePipeline.Functions -c Release</c> makes and the CDK app deploys.</summary>
    public static readonly FunctionPackageKind Aot = new("Native AOT x86_64", "linux-x64", NativeAot: true);

    /// <summary>The x86_64 option: <c>-p:PublishAot=false</c> (CDK context <c>functionBuild=readytorun</c>).</summary>
    public static readonly FunctionPackageKind ReadyToRun = new("ReadyToRun x86_64", "linux-x64", NativeAot: false);

    /// <summary>The arm64 package (CDK context <c>architecture=arm64</c>).</summary>
    public static readonly FunctionPackageKind Arm64 = new("ReadyToRun arm64", "linux-arm64", NativeAot: false);

    /// <summary>The arguments after <c>dotnet publish src/ImagePipeline.Functions</c>.</summary>
    public IReadOnlyList<string> PublishArguments =>
        ["-c", "Release", "-r", RuntimeIdentifier, .. !NativeAot && RuntimeIdentifier == "linux-x64" ? ["-p:PublishAot=false"] : Array.Empty<string>()];

    /// <summary>The publish folder's name under artifacts/publish/ImagePipeline.Functions/ (set by the project file).</summary>
    public string FolderName => !NativeAot && RuntimeIdentifier == "linux-x64" ? "release_linux-x64_readytorun" : "release_" + RuntimeIdentifier;

    /// <summary>The ELF machine of every native file in the package: EM_X86_64 (62) or EM_AARCH64 (183).</summary>
    public int ElfMachine => RuntimeIdentifier == "linux-arm64" ? 183 : 62;

    public override string ToString() => Name;
}
