using NetVips;

namespace ImagePipeline.Imaging.Libvips;

/// <summary>libvips' own error text inside a NetVips failure.</summary>
internal static class LibvipsErrors
{
    /// <summary>
    /// The distinct lines of libvips' error buffer that a <see cref="VipsException"/> carries after its first line (what
    /// NetVips was doing), joined by newlines; "" when there are none.
    /// </summary>
    /// <remarks>
    /// The buffer is process-wide and accumulates: it can hold lines of other images' operations and of probes that
    /// failed on purpose (seeks past the end while sniffing), so the text is for classification and logs only.
    /// </remarks>
    public static string TextOf(VipsException failure) =>
        string.Join('\n', failure.Message
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .Where(line => !line.Contains("bad seek", StringComparison.Ordinal))
            .Distinct());
}
