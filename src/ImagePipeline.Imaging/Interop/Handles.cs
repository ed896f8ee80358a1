using System.Runtime.InteropServices;

namespace ImagePipeline.Imaging.Interop;

/// <summary>An owned reference to a GObject (a VipsImage or VipsOperation); releasing it drops the reference.</summary>
internal abstract class GObjectHandle : SafeHandle
{
    protected GObjectHandle(nint handle)
        : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        NativeMethods.g_object_unref(handle);
        return true;
    }
}

/// <summary>An owned VipsBlob (a ref-counted VipsArea of bytes).</summary>
internal sealed class VipsBlob : SafeHandle
{
    private VipsBlob(nint handle)
        : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    /// <summary>Copies <paramref name="data"/> into memory libvips owns, so no managed buffer must outlive a lazy image.</summary>
    public static unsafe VipsBlob Copy(ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            var blob = NativeMethods.vips_blob_copy((nint)pointer, (nuint)data.Length);
            return blob == 0 ? throw VipsException.FromErrorBuffer("vips_blob_copy failed") : new VipsBlob(blob);
        }
    }

    /// <summary>Takes ownership of a reference the caller already holds.</summary>
    public static VipsBlob Own(nint blob) => new(blob);

    public unsafe byte[] ToArray()
    {
        var data = NativeMethods.vips_blob_get(this, out var length);
        return new ReadOnlySpan<byte>((void*)data, checked((int)length)).ToArray();
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.vips_area_unref(handle);
        return true;
    }
}
