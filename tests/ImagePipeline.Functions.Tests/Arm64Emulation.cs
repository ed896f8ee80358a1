using System.Runtime.InteropServices;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// How this machine runs the arm64 bootstrap: directly on an arm64 host, else under Debian's qemu-user with arm64
/// libraries from multiarch (<c>qemu-aarch64 -L /</c>: the arm64 loader and libraries live under / beside the host's).
/// </summary>
internal static class Arm64Emulation
{
    /// <summary>The arm64 dynamic loader multiarch's libc6:arm64 installs.</summary>
    public const string Loader = "/lib/ld-linux-aarch64.so.1";

    /// <summary>
    /// The arm64 libraries the bootstrap needs besides libc: the C++ runtime (libstdc++6:arm64) the .NET runtime and
    /// libvips link, and OpenSSL (libssl3:arm64), which .NET's cryptography loads to sign the AWS requests.
    /// </summary>
    public static readonly string[] Libraries = ["/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libssl.so.3"];

    /// <summary>
    /// What to start the bootstrap with: nothing on arm64, <c>qemu-aarch64 -L /</c> elsewhere; null, with the reason,
    /// when qemu-user or the arm64 C runtime is missing (a distribution whose mirror has no arm64 packages for multiarch,
    /// such as Ubuntu's archive: GitHub's arm64 runner runs the bootstrap natively instead).
    /// </summary>
    public static IReadOnlyList<string>? Launcher(out string? missing)
    {
        missing = null;
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
        {
            return [];
        }

        var qemu = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "qemu-aarch64"))
            .FirstOrDefault(File.Exists);
        var absent = Libraries.Prepend(Loader).Where(file => !File.Exists(file)).ToList();
        if (qemu is not null && absent.Count == 0)
        {
            return [qemu, "-L", "/"];
        }

        missing = "Running the arm64 bootstrap on this x64 machine needs qemu-user and arm64 libraries: `apt-get install qemu-user`, then " +
            "`dpkg --add-architecture arm64 && apt-get update && apt-get install libc6:arm64 libstdc++6:arm64 libssl3:arm64` (.ci/run installs " +
            $"them where the mirror has arm64 packages). Missing: {string.Join(", ", absent.Prepend(qemu is null ? "qemu-aarch64 on PATH" : null).OfType<string>())}.";
        return null;
    }

    /// <summary>
    /// What .NET needs under qemu-user, which it does not officially support: W^X (the runtime's double mapping of the
    /// code it writes) is what crashes under emulation (dotnet/runtime#94909), so it is turned off there.
    /// </summary>
    public static void AddTo(IDictionary<string, string> environment)
    {
        if (RuntimeInformation.OSArchitecture != Architecture.Arm64)
        {
            environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
    }
}
