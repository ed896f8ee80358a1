using System.Diagnostics.CodeAnalysis;

namespace ImagePipeline.Core;

/// <summary>Image identifiers: UUIDv7, lower-case, 36 characters, sorting by creation time.</summary>
public static class ImageIds
{
    /// <summary>A new identifier for an image created now.</summary>
    public static Guid New(TimeProvider clock) => Guid.CreateVersion7(clock.GetUtcNow());

    /// <summary>The canonical text form: lower-case, hyphenated, 36 characters.</summary>
    public static string Format(Guid id) => id.ToString("D");

    /// <summary>
    /// Accepts only the canonical form of a version-7 UUID; anything else (upper case, braces, another version) is
    /// rejected so that a path never reaches storage with an id we did not issue.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Guid id)
    {
        id = Guid.Empty;
        if (text is not { Length: 36 } || text.Any(char.IsUpper) || !Guid.TryParseExact(text, "D", out var parsed) || parsed.Version != 7)
        {
            return false;
        }

        id = parsed;
        return true;
    }
}
