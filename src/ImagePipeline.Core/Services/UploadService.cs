using System.Globalization;
using System.Text;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>POST /v1/uploads: validates the declared file, records a pending image, and signs the PUT of its original.</summary>
public sealed class UploadService(IImageCatalog catalog, IObjectStore store, IReadOnlyList<ImageFormat> decodableFormats, PipelineOptions options, TimeProvider clock)
{
    /// <summary>The longest file name kept (after removing control characters).</summary>
    public const int MaxFileNameLength = 255;

    /// <summary>Validates and records the upload; throws <see cref="PipelineRequestException"/> for bad input.</summary>
    public async Task<(ImageRecord Record, PresignedRequest Upload)> CreateAsync(
        string ownerId, string? fileName, string? contentType, long? contentLength, CancellationToken cancellationToken)
    {
        var name = SanitizeFileName(fileName)
            ?? throw Invalid("fileName is required: a non-empty name of at most 255 characters.");
        if (string.IsNullOrWhiteSpace(contentType))
        {
            throw Invalid("contentType is required, e.g. image/jpeg.");
        }

        if (contentLength is not { } length || length < 1)
        {
            throw Invalid("contentLength is required: the exact size of the file in bytes, at least 1.");
        }

        if (length > options.Limits.MaxBytes)
        {
            throw new PipelineRequestException(
                RequestProblem.TooLarge, "File too large", string.Create(CultureInfo.InvariantCulture, $"The file is {length:N0} bytes; the limit is {options.Limits.MaxBytes:N0} bytes."));
        }

        if (!ImageFormats.TryFromMediaType(contentType, out var format))
        {
            throw new PipelineRequestException(
                RequestProblem.UnsupportedMediaType,
                "Unsupported media type",
                $"'{contentType}' is not accepted. Accepted: {string.Join(", ", AcceptedMediaTypes)}.");
        }

        if (!decodableFormats.Contains(format))
        {
            throw new PipelineRequestException(
                RequestProblem.UnsupportedMediaType,
                "Unsupported media type",
                $"'{contentType}' ({format.ToName()}) cannot be decoded by this deployment's image engine. Accepted: {string.Join(", ", AcceptedMediaTypes)}.");
        }

        var now = clock.GetUtcNow();
        var canonicalType = format.MediaTypes()[0];
        var record = new ImageRecord
        {
            Id = ImageIds.New(clock),
            OwnerId = ownerId,
            FileName = name,
            ContentType = canonicalType,
            DeclaredBytes = length,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + options.PendingRetention,
            ResizeState = StageState.Pending,
            ThumbnailState = StageState.Pending,
        };
        if (!await catalog.CreateAsync(record, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Image id {record.Id} already exists: UUIDv7 ids must not collide.");
        }

        var upload = store.PresignUpload(ObjectKeys.Original(record.Id), canonicalType, length, options.UrlLifetime);
        return (record, upload);
    }

    /// <summary>The media types accepted by this deployment (those whose format the engine decodes).</summary>
    public IEnumerable<string> AcceptedMediaTypes =>
        decodableFormats.SelectMany(f => f.MediaTypes());

    /// <summary>
    /// Removes control characters, Unicode format characters (category Cf: bidi overrides and isolates such as U+202E,
    /// zero-width spaces and joiners, the BOM) and line/paragraph separators, then surrounding space; null when nothing
    /// visible remains or it is too long. <c>invoice\u202Egpj.exe</c> cannot pose as <c>invoice…exe.jpg</c>.
    /// </summary>
    public static string? SanitizeFileName(string? fileName)
    {
        if (fileName is null)
        {
            return null;
        }

        var clean = new StringBuilder(fileName.Length);
        foreach (var rune in fileName.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (!Rune.IsControl(rune)
                && category is not (System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator))
            {
                clean.Append(rune.ToString());
            }
        }

        var name = clean.ToString().Trim();
        return name.Length is 0 or > MaxFileNameLength || !name.EnumerateRunes().Any(IsVisible) ? null : name;
    }

    // Something a person can see: not only spaces and marks of nothing (e.g. U+3164 HANGUL FILLER counts as a letter,
    // so fillers are excluded by name).
    private static bool IsVisible(Rune rune) =>
        !Rune.IsWhiteSpace(rune) && rune.Value is not (0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800)
        && Rune.GetUnicodeCategory(rune) is not (System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.EnclosingMark);

    private static PipelineRequestException Invalid(string detail) => new(RequestProblem.Invalid, "Invalid upload request", detail);
}
