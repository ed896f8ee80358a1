namespace ImagePipeline.Cli;

/// <summary>Turns the command line's files and folders into the list of inputs and their output folder names.</summary>
internal static class InputExpander
{
    // What a folder search picks up. A file named on the command line is always processed, whatever its name, so a
    // mislabelled image still gets a verdict; in a folder, sidecars (.xmp, .txt, .DS_Store) are not images.
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".avif", ".heic", ".heif", ".hif", ".tif", ".tiff",
    };

    /// <summary>
    /// Files as given; folders recursively in ordinal order, taking files with an image extension. Hidden entries
    /// (dot-names) and other files are left out and counted, so the caller can say so.
    /// </summary>
    public static (List<string> Files, List<string> Missing, int Skipped) Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        var missing = new List<string>();
        var skipped = 0;
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
                    if (relative.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'))
                        || !ImageExtensions.Contains(Path.GetExtension(file)))
                    {
                        skipped++;
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

        return (files, missing, skipped);
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
