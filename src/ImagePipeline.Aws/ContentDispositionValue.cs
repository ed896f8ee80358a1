using System.Globalization;
using System.Text;

namespace ImagePipeline.Aws;

/// <summary>
/// RFC 6266 <c>Content-Disposition</c> values for presigned downloads (sent back by S3 through
/// <c>response-content-disposition</c>). Same output as the local host's, so a download is named alike everywhere;
/// kept here because the AWS adapter may not depend on the local host.
/// </summary>
internal static class ContentDispositionValue
{
    private const string FallbackName = "download";

    /// <summary>
    /// <c>attachment; filename="ascii"; filename*=UTF-8''percent-encoded</c>: printable ASCII in the quoted fallback
    /// (quotes, backslashes, percent signs and controls removed, others replaced by <c>_</c>), the full name in UTF-8.
    /// </summary>
    public static string Attachment(string fileName)
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
                extended.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        var fallback = ascii.ToString().Trim();
        if (fallback.Length == 0)
        {
            fallback = FallbackName;
        }

        return extended.Length == 0
            ? $"attachment; filename=\"{fallback}\""
            : $"attachment; filename=\"{fallback}\"; filename*=UTF-8''{extended}";
    }

    // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
    private static bool IsAttrChar(Rune rune) =>
        rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~');
}
