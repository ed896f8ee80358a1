using Spectre.Console;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The tables a terminal gets (upload's summary, list and watch), rendered by Spectre at a terminal's width: nothing
/// wider than the terminal, and no id, status, time, error code or word ever split across lines or cells.
/// </summary>
public sealed class TextTableTests
{
    private const string Truncated = "corrupt_image: The image data is damaged or truncated and cannot be decoded.";
    private const string Text = "unsupported_format: The file is not an image in an accepted format (jpeg, png, webp, gif, avif, tiff).";
    private const string Bomb = "too_many_pixels: The image is 12000x10000 = 120,000,000 pixels; the limit is 100,000,000.";
    private const string Octet = "http_415: 415 Unsupported media type: 'application/octet-stream' is not accepted. Accepted: image/jpeg, image/png.";

    private static readonly UploadOutcome[] Outcomes =
    [
        new("sample-images/photos/camera-gps.jpg", "01a24a30-73be-702f-bd82-15de275a144c", "ready", null),
        new("sample-images/broken/broken-truncated.jpg", "01a24a30-73ed-798b-99d2-92607147d0d6", "failed", Error(Truncated)),
        new("sample-images/broken/broken-text.jpg", "01a24a30-73ed-73b4-ab7d-be3936c9d391", "failed", Error(Text)),
        new("/home/someone/Pictures/2024/bomb-120mp.png", "01a24a30-73c9-7523-b67a-bcbbb1dd6c8c", "failed", Error(Bomb)),
        new("notes.txt", null, "rejected", Error(Octet)),
    ];

    [Theory]
    [InlineData(60)]
    [InlineData(80)]
    [InlineData(120)]
    public void UploadSummary_AtATerminalWidth_FitsAndSplitsNoCodeOrWord(int width)
    {
        var lines = Render(UploadCommand.SummaryTable(Outcomes), width);

        AssertFits(lines, width);
        foreach (var outcome in Outcomes)
        {
            AssertWhole(lines, TextTable.ShortPath(outcome.File));
            AssertWhole(lines, outcome.ImageId ?? "-");
            AssertWhole(lines, outcome.Status);
            foreach (var word in (outcome.Error is { } e ? $"{e.Code}: {e.Message}" : "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                AssertWhole(lines, word);
            }
        }
    }

    [Fact]
    public void UploadSummary_At120Columns_IsATableWithTheFoldersElided()
    {
        var lines = Render(UploadCommand.SummaryTable(Outcomes), 120);

        Assert.StartsWith("╭", lines[0], StringComparison.Ordinal);
        AssertWhole(lines, "│ …/broken/broken-truncated.jpg ");
        AssertWhole(lines, "│ …/2024/bomb-120mp.png ");
        Assert.DoesNotContain(lines, l => l.Contains("sample-images", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(60)]
    [InlineData(80)]
    [InlineData(120)]
    public void List_AtATerminalWidth_FitsAndSplitsNoIdNameOrTime(int width)
    {
        var page = new ImagePage(
            [
                Summary("01a24a30-73ed-798b-99d2-92607147d0d6", "broken-truncated.jpg", "failed"),
                Summary("01a24a30-73be-702f-bd82-15de275a144c", "写真-北海道.jpg", "processing"),
                Summary("01a24a30-73c5-7aa6-a2e8-645373089414", "holiday at the beach.jpg", "ready"),
            ],
            null);

        var lines = Render(ListCommand.Table(page), width);

        AssertFits(lines, width);
        foreach (var item in page.Items)
        {
            AssertWhole(lines, item.Id);
            AssertWhole(lines, item.FileName);
            AssertWhole(lines, item.Status);
        }

        AssertWhole(lines, "2026-12-06 07:10:19Z");
        Assert.Equal(width >= 120, lines[0].StartsWith('╭'));
    }

    [Fact]
    public void Table_NameLongerThanItsColumn_IsShortenedInTheMiddleKeepingItsExtension()
    {
        var name = string.Concat(Enumerable.Repeat("very-long-name-", 8)) + "end.jpg";
        var page = new ImagePage([Summary("01a24a30-73ed-798b-99d2-92607147d0d6", name, "ready")], null);

        var lines = Render(ListCommand.Table(page), 120);

        AssertFits(lines, 120);
        Assert.Contains(lines, l => l.Contains("…", StringComparison.Ordinal) && l.Contains("end.jpg │", StringComparison.Ordinal) && l.Contains("│ very-long", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(120)]
    public void List_WithoutImages_FitsAnyWidth(int width) =>
        AssertFits(Render(ListCommand.Table(new ImagePage([], null)), width), width);

    [Theory]
    [InlineData("sample-images/broken/x.png", "…/broken/x.png")]
    [InlineData("/home/someone/Pictures/x.png", "…/Pictures/x.png")]
    [InlineData("broken/x.png", "broken/x.png")]
    [InlineData("x.png", "x.png")]
    public void ShortPath_KeepsTheFileNameAndItsFolder(string path, string expected) =>
        Assert.Equal(expected, TextTable.ShortPath(path));

    [Theory]
    [InlineData("broken-truncated.jpg", 12, "broken…d.jpg")]
    [InlineData("broken-truncated.jpg", 20, "broken-truncated.jpg")]
    [InlineData("写真写真写真.jpg", 9, "写真….jpg")]
    public void Shorten_TooWide_KeepsStartAndEndAroundAnEllipsis(string text, int width, string expected)
    {
        var shortened = TextTable.Shorten(text, width);

        Assert.Equal(expected, shortened);
        Assert.True(shortened.GetCellWidth() <= width);
    }

    [Fact]
    public void Wrap_BreaksBetweenWordsOnly()
    {
        Assert.Equal(["corrupt_image: The", "image data is", "damaged."], TextTable.Wrap("corrupt_image: The image data is damaged.", 18));
        Assert.Equal(["abcdef", "ghij x"], TextTable.Wrap("abcdefghij x", 6)); // a word wider than the line is the only split
    }

    private static ErrorInfo Error(string reason)
    {
        var colon = reason.IndexOf(": ", StringComparison.Ordinal);
        return new ErrorInfo(reason[..colon], reason[(colon + 2)..]);
    }

    private static ImageSummary Summary(string id, string fileName, string status) =>
        new(id, fileName, status, new DateTimeOffset(2026, 12, 6, 7, 10, 19, TimeSpan.Zero), null, null);

    /// <summary>What a terminal <paramref name="width"/> cells wide shows, line by line (no colours).</summary>
    private static List<string> Render(TextTable table, int width)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Write(table.ToSpectre(width, (_, _, cell) => TextTable.StatusMarkup(cell)));
        return [.. output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
    }

    private static void AssertFits(List<string> lines, int width)
    {
        var tooWide = lines.Where(l => l.GetCellWidth() > width).ToList();
        Assert.True(tooWide.Count == 0, $"Lines wider than {width}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
    }

    private static void AssertWhole(List<string> lines, string text) =>
        Assert.True(lines.Any(l => l.Contains(text, StringComparison.Ordinal)), $"'{text}' is not on any one line:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
}
