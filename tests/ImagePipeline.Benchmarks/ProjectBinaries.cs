namespace ImagePipeline.Benchmarks;

/// <summary>
/// Finds the build output of another project of the repository: with <c>UseArtifactsOutput</c> it sits next to this
/// program's, <c>artifacts/bin/&lt;project&gt;/&lt;pivot&gt;/</c>. The project file references the CLI and the local
/// host without their assemblies (<c>ReferenceOutputAssembly=false</c>), so building this project builds them.
/// </summary>
internal static class ProjectBinaries
{
    /// <summary>
    /// The command that starts <paramref name="assemblyName"/> of <paramref name="project"/>: its apphost, or
    /// <c>dotnet X.dll</c> when this program runs through <c>dotnet</c> too. Null with the reason when not built.
    /// </summary>
    public static Command? Find(string project, string assemblyName, out string? error)
    {
        var own = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var pivot = own.Name;
        var binRoot = own.Parent?.Parent;
        if (binRoot is null)
        {
            error = $"cannot tell the build output folder from {own.FullName}.";
            return null;
        }

        var directory = Path.Combine(binRoot.FullName, project, pivot);
        var dll = Path.Combine(directory, assemblyName + ".dll");
        if (!File.Exists(dll))
        {
            error = $"{dll} is missing: build it first (dotnet build -c {(pivot.StartsWith("debug", StringComparison.Ordinal) ? "Debug" : "Release")} src/{project}), "
                + "or run this program through dotnet run, which builds the projects it references.";
            return null;
        }

        error = null;
        var self = Environment.ProcessPath;
        var apphost = Path.Combine(directory, assemblyName);
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return new Command(self, [dll]);
        }

        if (File.Exists(apphost))
        {
            return new Command(apphost, []);
        }

        var dotnet = Tools.FindOnPath("dotnet");
        if (dotnet is null)
        {
            error = $"{apphost} is missing and dotnet is not on PATH to run {dll}.";
            return null;
        }

        return new Command(dotnet, [dll]);
    }
}
