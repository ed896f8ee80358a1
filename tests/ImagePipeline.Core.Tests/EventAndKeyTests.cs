using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Tests;

public sealed class EventAndKeyTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", name));

    [Fact]
    public void Parse_GoldenPut_ReadsKeySizeAndUnquotedEtag()
    {
        var created = Assert.Single(S3EventParser.Parse(Golden("s3-put.json")));

        Assert.Equal(new ObjectCreated("imagepipeline-originals", "originals/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", 1048576, "d41d8cd98f00b204e9800998ecf8427e", "0055AED6DCD90281E5"), created);
        Assert.True(ObjectKeys.TryParseOriginal(created.Key, out var id));
        Assert.Equal("01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", ImageIds.Format(id));
    }

    [Fact]
    public void Parse_SeveralRecords_KeepsOnlyCreations()
    {
        var created = S3EventParser.Parse(Golden("s3-multiple-records.json"));

        Assert.Equal(["originals/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", "originals/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f8"], created.Select(c => c.Key));
        Assert.Equal("92eb5ffee6ae2fec3ad71c777531578f-2", created[1].ETag);
    }

    [Fact]
    public void Parse_EncodedKey_DecodesPlusAndPercentEscapes()
    {
        var created = Assert.Single(S3EventParser.Parse(Golden("s3-encoded-key.json")));

        Assert.Equal("uploads/holiday photo+edit/v2.jpg", created.Key);
        Assert.Equal("4a8a08f09d37b73795649038408b5f33", created.ETag);
        Assert.False(ObjectKeys.TryParseOriginal(created.Key, out _));
    }

    [Fact]
    public void Parse_TestEvent_YieldsNothing() =>
        Assert.Empty(S3EventParser.Parse(Golden("s3-test-event.json")));

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"Records\": 5}")]
    public void Parse_MalformedBody_IsFormatException(string body) =>
        Assert.Throws<FormatException>(() => S3EventParser.Parse(body));

    [Fact]
    public void Serialize_ThenParse_RoundTripsAKeyThatNeedsEncoding()
    {
        var created = new ObjectCreated("local", "originals/a b+c", 7, "abc", "1");

        var body = S3EventParser.Serialize(created, DateTimeOffset.UnixEpoch);

        Assert.Contains("\"key\":\"originals/a+b%2Bc\"", body);
        Assert.Contains("\"eventName\":\"ObjectCreated:Put\"", body);
        Assert.Equal(created, Assert.Single(S3EventParser.Parse(body)));
    }

    [Theory]
    [InlineData("01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", true)]
    [InlineData("01937A4E-5F2B-7C3D-8E4F-A1B2C3D4E5F6", false)]
    [InlineData("{01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6}", false)]
    [InlineData("01937a4e5f2b7c3d8e4fa1b2c3d4e5f6", false)]
    [InlineData("01937a4e-5f2b-4c3d-8e4f-a1b2c3d4e5f6", false)]
    [InlineData("../../etc/passwd", false)]
    [InlineData("", false)]
    public void TryParse_OnlyCanonicalVersion7_IsAnId(string text, bool valid) =>
        Assert.Equal(valid, ImageIds.TryParse(text, out _));

    [Fact]
    public void New_Ids_SortByCreationTime()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-22T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var first = ImageIds.New(clock);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = ImageIds.New(clock);

        Assert.True(string.CompareOrdinal(ImageIds.Format(first), ImageIds.Format(second)) < 0);
        Assert.True(ImageIds.TryParse(ImageIds.Format(first), out _));
    }

    [Fact]
    public void Keys_AreAPureFunctionOfIdAndRecipe()
    {
        var id = Guid.Parse("01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6");

        Assert.Equal("originals/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", ObjectKeys.Original(id));
        Assert.Equal("renditions/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6/r1/w640.webp", ObjectKeys.Rendition(id, 1, "w640"));
        Assert.Equal("thumbnails/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6/r1/256.webp", ObjectKeys.Thumbnail(id, 1, 256));
    }

    [Fact]
    public void CursorCodec_RoundTripsAndRejectsForgery()
    {
        var codec = new CursorCodec(new byte[32]);
        var position = new CatalogPosition(DateTimeOffset.Parse("2026-11-22T10:00:00.1234567Z", System.Globalization.CultureInfo.InvariantCulture), Guid.CreateVersion7());

        var cursor = codec.Encode(position);

        Assert.True(codec.TryDecode(cursor, out var decoded));
        Assert.Equal(position, decoded);
        Assert.False(new CursorCodec(Enumerable.Repeat((byte)1, 32).ToArray()).TryDecode(cursor, out _));
        Assert.False(codec.TryDecode(cursor[..^2] + (cursor[^2] == 'A' ? "B" : "A") + cursor[^1], out _));
        Assert.False(codec.TryDecode("!!!", out _));
        Assert.False(codec.TryDecode(new string('A', 5000), out _));
    }

    [Theory]
    [InlineData("holiday.jpg", "holiday.jpg")]
    [InlineData("  spaced name.png  ", "spaced name.png")]
    [InlineData("line\nbreak\u0007.jpg", "linebreak.jpg")]
    [InlineData("\u0000\u0001", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void SanitizeFileName_ControlCharacters_AreRemoved(string? input, string? expected) =>
        Assert.Equal(expected, UploadService.SanitizeFileName(input));

    [Fact]
    public void SanitizeFileName_Over255Characters_IsRejected() =>
        Assert.Null(UploadService.SanitizeFileName(new string('a', 256) + ".jpg"));

    [Fact]
    public void Status_IsDerivedFromStagesAndSource()
    {
        var record = new ImageRecord
        {
            Id = Guid.CreateVersion7(), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = 1,
            CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
        };

        Assert.Equal(ImageStatus.Pending, record.Status);
        Assert.Equal(ImageStatus.Processing, (record with { SourceEtag = "e", ResizeState = StageState.Done }).Status);
        Assert.Equal(ImageStatus.Ready, (record with { SourceEtag = "e", ResizeState = StageState.Done, ThumbnailState = StageState.Done }).Status);
        Assert.Equal(ImageStatus.Failed, (record with { SourceEtag = "e", ResizeState = StageState.Done, ThumbnailState = StageState.Failed }).Status);
    }
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
