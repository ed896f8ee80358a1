using ImagePipeline.Core.Imaging;
using ImagePipeline.TestImages;

namespace ImagePipeline.Imaging.Tests;

/// <summary>The shared real-world corpus, when this clone sits beside it (skipped otherwise).</summary>
public sealed class CorpusTests
{
    private static readonly LibvipsImageEngine Engine = new();

    // Files the pipeline must refuse, and why; every other manifest file must process to its expected size.
    private static readonly Dictionary<string, ImageErrorCode> Refused = new()
    {
        ["c_formats/check.svg"] = ImageErrorCode.UnsupportedFormat,
        ["c_formats/hopper.bmp"] = ImageErrorCode.UnsupportedFormat,
        ["c_formats/python.ico"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/ssrf_svg_image.svg"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/disallowed-996.svg"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/imagetragik1_payload_url_portscan.jpg"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/readOnly.png"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/testorig12.jpg"] = ImageErrorCode.UnsupportedFormat,
        ["d_hostile/16384x16384.png"] = ImageErrorCode.TooManyPixels,
        ["d_hostile/giant-image.jpg"] = ImageErrorCode.TooManyPixels,
        ["d_hostile/decompression_bomb.gif"] = ImageErrorCode.CorruptImage,
        ["d_hostile/truncated_jpeg.jpg"] = ImageErrorCode.CorruptImage,
        ["d_hostile/truncated_image.png"] = ImageErrorCode.CorruptImage,
        ["b_photos/ultrahdr.jpg"] = ImageErrorCode.CorruptImage, // the stored copy is cut short: premature end of data
    };

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        if (RepoRoot.SharedCorpus() is { } corpus)
        {
            foreach (var line in File.ReadLines(Path.Combine(corpus, "MANIFEST.tsv")).Skip(1))
            {
                data.Add(line.Split('\t')[0]);
            }
        }
        else
        {
            data.Add("(no corpus)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Process_CorpusFile_EndsAsManifestSays(string file)
    {
        var corpus = RepoRoot.SharedCorpus();
        Assert.SkipWhen(corpus is null, "../shared/corpus is not beside this clone");
        var columns = File.ReadLines(Path.Combine(corpus!, "MANIFEST.tsv")).Select(l => l.Split('\t')).Single(c => c[0] == file);
        var original = File.ReadAllBytes(Path.Combine(corpus!, file));
        var isHeic = file.EndsWith(".heic", StringComparison.OrdinalIgnoreCase);

        if (Refused.TryGetValue(file, out var code) || (isHeic && !Engine.DecodableFormats.Contains(ImageFormat.Heic)))
        {
            var error = Assert.Throws<ImageProcessingException>(() => Engine.Process(original, ImageRecipe.Default, TestContext.Current.CancellationToken));
            Assert.Equal(isHeic ? ImageErrorCode.UnsupportedFormat : code, error.Code);
            return;
        }

        var result = Engine.Process(original, ImageRecipe.Default, TestContext.Current.CancellationToken);
        Assert.Equal(columns[12], $"{result.Source.Width}x{result.Source.Height}");
        Assert.Equal((256, 256), (result.Thumbnail.Width, result.Thumbnail.Height));
        Assert.All(result.Renditions, r => Assert.True(r.Image.Width <= result.Source.Width));
    }
}
