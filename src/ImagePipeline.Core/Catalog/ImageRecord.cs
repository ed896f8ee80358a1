using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Catalog;

/// <summary>The two processing stages; each writes only its own attributes.</summary>
public enum Stage
{
    /// <summary>Renditions.</summary>
    Resize,
    /// <summary>The square thumbnail.</summary>
    Thumbnail,
}

/// <summary>Where a stage is.</summary>
public enum StageState
{
    /// <summary>Not finished yet.</summary>
    Pending,
    /// <summary>Outputs written and recorded.</summary>
    Done,
    /// <summary>Failed permanently; an error code is recorded.</summary>
    Failed,
}

/// <summary>The image's status, derived from the record and never stored.</summary>
public enum ImageStatus
{
    /// <summary>Nothing uploaded yet.</summary>
    Pending,
    /// <summary>Uploaded; stages running.</summary>
    Processing,
    /// <summary>Both stages done.</summary>
    Ready,
    /// <summary>A stage failed.</summary>
    Failed,
}

/// <summary>Wire names of the catalog enums.</summary>
public static class CatalogNames
{
    /// <summary><c>resize</c> or <c>thumbnail</c>.</summary>
    public static string ToName(this Stage stage) => stage == Stage.Resize ? "resize" : "thumbnail";

    /// <summary><c>pending</c>, <c>done</c> or <c>failed</c>.</summary>
    public static string ToName(this StageState state) => state switch
    {
        StageState.Pending => "pending",
        StageState.Done => "done",
        _ => "failed",
    };

    /// <summary><c>pending</c>, <c>processing</c>, <c>ready</c> or <c>failed</c>.</summary>
    public static string ToName(this ImageStatus status) => status switch
    {
        ImageStatus.Pending => "pending",
        ImageStatus.Processing => "processing",
        ImageStatus.Ready => "ready",
        _ => "failed",
    };

    /// <summary>Parses a stage name.</summary>
    public static bool TryParseStage(string? text, out Stage stage)
    {
        stage = text == "thumbnail" ? Stage.Thumbnail : Stage.Resize;
        return text is "resize" or "thumbnail";
    }

    /// <summary>Parses a stage state name.</summary>
    public static StageState ParseState(string text) => text switch
    {
        "pending" => StageState.Pending,
        "done" => StageState.Done,
        "failed" => StageState.Failed,
        _ => throw new FormatException($"Unknown stage state '{text}'."),
    };
}

/// <summary>Facts about the original, from its header.</summary>
/// <param name="Format">Detected format name (<c>jpeg</c>…).</param>
/// <param name="Width">Width after orientation.</param>
/// <param name="Height">Height after orientation.</param>
/// <param name="Bytes">Size in bytes.</param>
public sealed record OriginalFacts(string Format, int Width, int Height, long Bytes);

/// <summary>A derived object recorded in the catalog.</summary>
/// <param name="Name">Rendition name (<c>w640</c>) or <c>thumbnail</c>.</param>
/// <param name="Width">Pixel width.</param>
/// <param name="Height">Pixel height.</param>
/// <param name="Format">Output format name.</param>
/// <param name="Bytes">Encoded size.</param>
/// <param name="Key">Object key in the derived store.</param>
public sealed record DerivedFacts(string Name, int Width, int Height, string Format, long Bytes, string Key);

/// <summary>Why a stage failed.</summary>
/// <param name="Code">An <see cref="ImageErrorCode"/> wire code.</param>
/// <param name="Message">A message fit to show the uploader.</param>
public sealed record StageError(string Code, string Message);

/// <summary>One image in the catalog. See the design's catalog record; <see cref="Status"/> is derived.</summary>
public sealed record ImageRecord
{
    /// <summary>The UUIDv7 id.</summary>
    public required Guid Id { get; init; }

    /// <summary><c>local</c> in the embedded default; the JWT subject once auth lands.</summary>
    public required string OwnerId { get; init; }

    /// <summary>The uploader's file name, sanitised; never part of a key.</summary>
    public required string FileName { get; init; }

    /// <summary>The declared media type.</summary>
    public required string ContentType { get; init; }

    /// <summary>The declared length, bound into the upload signature.</summary>
    public required long DeclaredBytes { get; init; }

    /// <summary>Creation time (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Last change (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When a pending record or a tombstone may be purged.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Set when deleted (a tombstone until it expires).</summary>
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>Entity tag of the uploaded original, set by the first stage result.</summary>
    public string? SourceEtag { get; init; }

    /// <summary>Header facts of the original.</summary>
    public OriginalFacts? Original { get; init; }

    /// <summary>The EXIF subset (GPS included, always stored).</summary>
    public ImageMetadata? Metadata { get; init; }

    /// <summary>State of the resize stage.</summary>
    public StageState ResizeState { get; init; }

    /// <summary>State of the thumbnail stage.</summary>
    public StageState ThumbnailState { get; init; }

    /// <summary>Renditions made (resize stage).</summary>
    public IReadOnlyList<DerivedFacts>? Renditions { get; init; }

    /// <summary>The thumbnail made (thumbnail stage).</summary>
    public DerivedFacts? Thumbnail { get; init; }

    /// <summary>
    /// The recipe version the resize stage's result (outputs or failure) was made with; null on records written before
    /// versions were recorded, which read as version 1.
    /// </summary>
    public int? ResizeRecipeVersion { get; init; }

    /// <summary>The recipe version the thumbnail stage's result was made with (null reads as version 1).</summary>
    public int? ThumbnailRecipeVersion { get; init; }

    /// <summary>Error of the resize stage, when failed.</summary>
    public StageError? ResizeError { get; init; }

    /// <summary>Error of the thumbnail stage, when failed.</summary>
    public StageError? ThumbnailError { get; init; }

    /// <summary>Derived: pending before any upload, failed if a stage failed, ready when both are done.</summary>
    public ImageStatus Status =>
        SourceEtag is null ? ImageStatus.Pending
        : ResizeState == StageState.Failed || ThumbnailState == StageState.Failed ? ImageStatus.Failed
        : ResizeState == StageState.Done && ThumbnailState == StageState.Done ? ImageStatus.Ready
        : ImageStatus.Processing;

    /// <summary>The first failed stage's error (resize first).</summary>
    public StageError? Error => ResizeError ?? ThumbnailError;

    /// <summary>The state of <paramref name="stage"/>.</summary>
    public StageState StateOf(Stage stage) => stage == Stage.Resize ? ResizeState : ThumbnailState;

    /// <summary>The recipe version <paramref name="stage"/>'s result was made with (1 when not recorded).</summary>
    public int RecipeVersionOf(Stage stage) => (stage == Stage.Resize ? ResizeRecipeVersion : ThumbnailRecipeVersion) ?? 1;

    /// <summary>The error of <paramref name="stage"/>, when it failed.</summary>
    public StageError? ErrorOf(Stage stage) => stage == Stage.Resize ? ResizeError : ThumbnailError;

    /// <summary>
    /// The stages reprocessing would run under recipe <paramref name="currentRecipeVersion"/>: those that failed, and
    /// those done by an older recipe.
    /// </summary>
    public IReadOnlyList<Stage> StagesToReprocess(int currentRecipeVersion) =>
        SourceEtag is null
            ? []
            : [.. new[] { Stage.Resize, Stage.Thumbnail }.Where(stage => StateOf(stage) switch
            {
                StageState.Failed => true,
                StageState.Done => RecipeVersionOf(stage) < currentRecipeVersion,
                _ => false,
            })];
}
