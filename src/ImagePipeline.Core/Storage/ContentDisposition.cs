using System.Text;

namespace ImagePipeline.Core.Storage;

/// <summary>
/// Content-Disposition values (RFC 6266) carrying the uploader's file name: the header of a local download, and the
/// <c>response-content-disposition</c> of an S3 presigned GET, so a download is named alike everywhere.
/// </summary>
public static class ContentDisposition
{
    /// <summary>The ASCII name used when nothing of the file name survives.</summary>
    public const string FallbackName = "download";

    /// <summary>
    /// <c>attachment; filename="ascii"; filename*=UTF-8''percent-encoded</c>. The quoted fallback keeps printable ASCII
    /// only (quotes, backslashes, percent signs and control characters removed, other characters replaced by <c>_</c>);
    /// the extended value carries the full name, without control characters, in UTF-8 (RFC 8187).
    /// </summary>
    public static string For(string fileName, bool inline = false)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var ascii = new StringBuilder(fileName.Length);
        var extended = new StringBuilder(fileName.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in fileName.EnumerateRunes())
        {
            if (Rune.IsControl(rune) || rune.Value is 0x2028 or 0x2029 or 0xFEFF)
            {
                continue;
            }

            if (rune.IsAscii)
            {
                if (rune.Value is not ('"' or '\\' or '%'))
                {
                    ascii.Append((char)rune.Value);
                }
            }
            else
            {
                ascii.Append('_');
            }

            if (IsAttrChar(rune))
            {
                extended.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..length])
            {
                extended.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var fallback = ascii.ToString().Trim();
        if (fallback.Length == 0)
        {
            fallback = FallbackName;
        }

        var type = inline ? "inline" : "attachment";
        return extended.Length == 0
            ? $"{type}; filename=\"{fallback}\""
            : $"{type}; filename=\"{fallback}\"; filename*=UTF-8''{extended}";
    }

    // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
    private static bool IsAttrChar(Rune rune) =>
        rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~');
}
