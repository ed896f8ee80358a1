namespace ImagePipeline.TestImages;

/// <summary>The committed <c>sample-images/</c> set: what each file is and how it is made.</summary>
public static class SampleImageSet
{
    /// <summary>Upright size of the orientation samples.</summary>
    public const int OrientationWidth = 600, OrientationHeight = 400;

    /// <summary>Images the pipeline must process, and files it must refuse, live in separate folders so that
    /// <c>process sample-images/photos</c> is an all-good run.</summary>
    public const string PhotosFolder = "photos", BrokenFolder = "broken";

    public static IReadOnlyList<(string Name, Func<byte[]> Make)> Files { get; } = BuildList();

    /// <summary>The sub-folder a sample lives in.</summary>
    public static string FolderOf(string name) =>
        name.StartsWith("broken-", StringComparison.Ordinal) || name.StartsWith("bomb-", StringComparison.Ordinal) ? BrokenFolder : PhotosFolder;

    /// <summary>Where sample <paramref name="name"/> is under a sample-images root.</summary>
    public static string PathOf(string root, string name) => Path.Combine(root, FolderOf(name), name);

    /// <summary>Writes every sample under <paramref name="directory"/>; returns the paths written.</summary>
    public static List<string> Write(string directory)
    {
        var written = new List<string>();
        foreach (var (name, make) in Files)
        {
            var path = PathOf(directory, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, make());
            written.Add(path);
        }

        return written;
    }

    /// <summary>A camera-sized JPEG for benchmarks (not committed: 24 MP is ~10 MB).</summary>
    public static byte[] LargeJpeg(int width, int height) =>
        SyntheticImages.PhotoJpeg(width, height, orientation: 1, SyntheticImages.Camera, quality: 90, seed: 5, noise: 8);

    private static List<(string, Func<byte[]>)> BuildList()
    {
        var list = new List<(string, Func<byte[]>)>();
        for (var orientation = 1; orientation <= 8; orientation++)
        {
            var o = orientation;
            list.Add(($"orientation-{o}.jpg", () => SyntheticImages.PhotoJpeg(OrientationWidth, OrientationHeight, o, SyntheticImages.Camera, quality: 80, seed: o)));
        }

        list.Add(("camera-gps.jpg", () => SyntheticImages.PhotoJpeg(2400, 1600, 1, SyntheticImages.Camera, quality: 70, seed: 42, noise: 3)));
        list.Add(("portrait-6.jpg", () => SyntheticImages.PhotoJpeg(1200, 1800, 6, SyntheticImages.Camera with { Gps = null }, quality: 70, seed: 43, noise: 3)));
        list.Add(("tiny.jpg", () => SyntheticImages.PhotoJpeg(160, 120, 1, exif: null, quality: 85, seed: 44)));
        list.Add(("alpha.png", () => SyntheticImages.AlphaPng(400, 300)));
        list.Add(("photo.webp", () => SyntheticImages.PhotoWebp(800, 600)));
        list.Add(("animated.gif", () => SyntheticImages.AnimatedGif(240, 160, 3)));
        list.Add(("bomb-120mp.png", () => SyntheticImages.HugeFlatPng(12000, 10000)));
        list.Add(("broken-truncated.jpg", () =>
        {
            var whole = SyntheticImages.PhotoJpeg(OrientationWidth, OrientationHeight, 1, exif: null, quality: 80, seed: 45);
            return whole[..(whole.Length / 2)];
        }));
        list.Add(("broken-empty.jpg", () => []));
        list.Add(("broken-text.jpg", () => "This is a text file with a .jpg name, not an image.\n"u8.ToArray()));
        return list;
    }
}
