namespace ImagePipeline.Imaging.Interop;

/// <summary>A libvips call failed; <see cref="Exception.Message"/> carries libvips' own error text.</summary>
public sealed class VipsException(string message) : Exception(message)
{
    /// <summary>Takes (and clears) libvips' error buffer and wraps it with what we were doing.</summary>
    internal static VipsException FromErrorBuffer(string context)
    {
        var text = Tidy(TakeErrorBuffer());
        return new VipsException(string.IsNullOrWhiteSpace(text) ? context : $"{context}: {text}");
    }

    // libvips' error buffer is process-wide and collects lines from every thread and from probes that failed on
    // purpose (seeks past the end while sniffing a format): keep the last few distinct lines that say something.
    private static string Tidy(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.Contains("bad seek", StringComparison.Ordinal))
            .Distinct()
            .TakeLast(3);
        return string.Join("; ", lines);
    }

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
