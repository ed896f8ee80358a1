using System.Runtime.InteropServices;
using static ImagePipeline.Imaging.Interop.NativeMethods;

namespace ImagePipeline.Imaging.Interop;

/// <summary>An owned reference to a VipsImage. Images are lazy: pixels are computed when a sink (a saver) pulls them.</summary>
internal sealed class VipsImage : GObjectHandle
{
    private VipsImage(nint handle)
        : base(handle)
    {
    }

    public static VipsImage Own(nint handle) =>
        handle == 0 ? throw new VipsException("libvips returned no image") : new VipsImage(handle);

    public int Width => vips_image_get_width(this);

    public int Height => vips_image_get_height(this);

    public int Bands => vips_image_get_bands(this);

    /// <summary>libvips' VipsBandFormat of every sample (uchar, ushort, float…).</summary>
    public VipsBandFormat BandFormat => (VipsBandFormat)vips_image_get_format(this);

    /// <summary>Pages (frames) in the file, 1 when the loader does not say.</summary>
    public int Pages => Math.Max(1, vips_image_get_n_pages(this));

    public int PageHeight => vips_image_get_page_height(this);

    public bool Has(string field) => vips_image_get_typeof(this, field) != 0;

    public int? GetInt(string field) =>
        Has(field) && vips_image_get_int(this, field, out var value) == 0 ? value : null;

    public string? GetString(string field) =>
        Has(field) && vips_image_get_string(this, field, out var value) == 0 ? Marshal.PtrToStringUTF8(value) : null;

    /// <summary>Renders the image into memory (running its whole pipeline once), so several consumers can read it.</summary>
    public VipsImage CopyMemory()
    {
        var copy = vips_image_copy_memory(this);
        return copy == 0 ? throw VipsException.FromErrorBuffer("vips_image_copy_memory") : Own(copy);
    }

    /// <summary>Asks every computation pulling pixels from this image to stop (how cancellation reaches libvips).</summary>
    public void Kill() => vips_image_set_kill(this, 1);

    /// <summary>Only on an image nothing else references yet (fresh from an operation), as libvips requires.</summary>
    public void SetInt(string field, int value) => vips_image_set_int(this, field, value);

    public unsafe void SetBlob(string field, ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            vips_image_set_blob_copy(this, field, (nint)pointer, (nuint)data.Length);
        }
    }

    public void Remove(string field) => vips_image_remove(this, field);

    /// <summary>Every metadata field name on the image (header fields included).</summary>
    public IReadOnlyList<string> Fields()
    {
        var strv = vips_image_get_fields(this);
        var names = new List<string>();
        try
        {
            for (var i = 0; Marshal.ReadIntPtr(strv, i * IntPtr.Size) is var entry && entry != 0; i++)
            {
                names.Add(Marshal.PtrToStringUTF8(entry)!);
            }
        }
        finally
        {
            g_strfreev(strv);
        }

        return names;
    }
}

/// <summary>libvips' VipsBandFormat: the type of one sample.</summary>
internal enum VipsBandFormat
{
    Uchar = 0,
    Char = 1,
    Ushort = 2,
    Short = 3,
    Uint = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    Dpcomplex = 9,
}

internal static class VipsBandFormats
{
    /// <summary>Bytes of one sample of <paramref name="format"/> (libvips' vips_format_sizeof); unknown values count as 16.</summary>
    public static int BytesPerSample(this VipsBandFormat format) => format switch
    {
        VipsBandFormat.Uchar or VipsBandFormat.Char => 1,
        VipsBandFormat.Ushort or VipsBandFormat.Short => 2,
        VipsBandFormat.Uint or VipsBandFormat.Int or VipsBandFormat.Float => 4,
        VipsBandFormat.Complex or VipsBandFormat.Double => 8,
        _ => 16,
    };
}
