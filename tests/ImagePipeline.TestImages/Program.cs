using ImagePipeline.TestImages;

// dotnet run --project tests/ImagePipeline.TestImages -- samples [DIR]            (default: the repo's sample-images/)
// dotnet run --project tests/ImagePipeline.TestImages -- large OUT.jpg [WIDTHxHEIGHT] (default 6000x4000, 24 MP)
switch (args)
{
    case ["samples", .. var rest]:
        var directory = rest.Length > 0 ? rest[0] : Path.Combine(RepoRoot.Find(), "sample-images");
        foreach (var path in SampleImageSet.Write(directory))
        {
            Console.WriteLine($"{new FileInfo(path).Length,10:N0}  {path}");
        }

        return 0;
    case ["large", var output, .. var size]:
        var (width, height) = size.Length > 0 ? ParseSize(size[0]) : (6000, 4000);
        File.WriteAllBytes(output, SampleImageSet.LargeJpeg(width, height));
        Console.WriteLine($"{output}: {width}x{height}, {new FileInfo(output).Length:N0} bytes");
        return 0;
    default:
        Console.Error.WriteLine("usage: samples [DIR] | large OUT.jpg [WIDTHxHEIGHT]");
        return 1;
}

static (int, int) ParseSize(string text)
{
    var parts = text.Split('x');
    return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
}
