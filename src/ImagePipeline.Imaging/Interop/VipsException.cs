namespace ImagePipeline.Imaging.Interop;

/// <summary>
/// A libvips call failed; <see cref="Exception.Message"/> carries what we were doing and libvips' own error text. That
/// text comes from libvips' process-wide error buffer, so it can hold lines of other images' operations: it is for
/// logs only, never for a user or a record.
/// </summary>
public sealed class VipsException : Exception
{
    /// <summary>A failure described by <paramref name="message"/> alone (no libvips error text).</summary>
    public VipsException(string message)
        : this(message, "")
    {
    }

    private VipsException(string message, string libvipsText)
        : base(message) => LibvipsText = libvipsText;

    /// <summary>Every distinct line the error buffer held when the call failed (joined by newlines), "" when empty.</summary>
    internal string LibvipsText { get; }

    /// <summary>Takes (and clears) libvips' error buffer and wraps it with what we were doing.</summary>
    internal static VipsException FromErrorBuffer(string context)
    {
        var lines = Lines(TakeErrorBuffer());
        // The message keeps the last few lines (the ones nearest the failure); the classifier reads them all.
        var shown = string.Join("; ", lines.TakeLast(3));
        return new VipsException(shown.Length == 0 ? context : $"{context}: {shown}", string.Join('\n', lines));
    }

    // libvips' error buffer is process-wide and collects lines from every thread and from probes that failed on
    // purpose (seeks past the end while sniffing a format): keep the distinct lines that say something.
    private static List<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.Contains("bad seek", StringComparison.Ordinal))
            .Distinct()
            .ToList();

    internal static string TakeErrorBuffer()
    {
        // vips_error_buffer_copy() copies and clears in one step under libvips' own lock.
        var copy = NativeMethods.vips_error_buffer_copy();
        if (copy == 0)
        {
            return "";
        }

        try
        {
            return (System.Runtime.InteropServices.Marshal.PtrToStringUTF8(copy) ?? "").Trim();
        }
        finally
        {
            NativeMethods.g_free(copy);
        }
    }
}
