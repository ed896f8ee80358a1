namespace ImagePipeline.Cli;

/// <summary>Turns the command line's files and folders into the list of inputs and their output folder names.</summary>
internal static class InputExpander
{
    /// <summary>Files as given; folders recursively in ordinal order, hidden entries (dot-names) left out and counted.</summary>
    public static (List<string> Files, List<string> Missing, int HiddenSkipped) Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var missing = new List<string>();
        var hidden = 0;
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(path, file);
                    if (relative.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                    {
                        hidden++;
                        continue;
                    }

                    files.Add(file);
                }
            }
            else
            {
                missing.Add(path);
            }
        }

        return (files, missing, hidden);
    }

    /// <summary>The file name without extension, made unique with -2, -3… in input order.</summary>
    public static List<string> OutputNames(IEnumerable<string> files)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var file in files)
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            if (string.IsNullOrWhiteSpace(stem))
            {
                stem = "image";
            }

            var name = stem;
            for (var n = 2; !used.Add(name); n++)
            {
                name = $"{stem}-{n}";
            }

            names.Add(name);
        }

        return names;
    }
}
