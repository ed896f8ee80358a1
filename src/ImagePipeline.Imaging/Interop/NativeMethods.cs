using System.Runtime.InteropServices;

namespace ImagePipeline.Imaging.Interop;

// Only non-variadic entry points: variadic C functions cannot be called portably through P/Invoke, so operations are
// driven through the GObject property API (vips_operation_new → set → vips_cache_operation_build → get).
// gboolean is a C int; GType is a pointer-sized unsigned integer.
internal static partial class NativeMethods
{
    public const string Library = "libvips";

    // ---- lifecycle, settings, errors
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_init(string argv0);

    [LibraryImport(Library)]
    public static partial int vips_version(int flag);

    [LibraryImport(Library)]
    public static partial nint vips_error_buffer_copy();

    [LibraryImport(Library)]
    public static partial void vips_error_clear();

    [LibraryImport(Library)]
    public static partial void g_free(nint mem);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial uint g_log_set_handler(string logDomain, int logLevels, delegate* unmanaged<nint, int, nint, nint, void> logFunc, nint userData);

    [LibraryImport(Library)]
    public static partial void vips_cache_set_max(int max);

    [LibraryImport(Library)]
    public static partial void vips_cache_set_max_mem(nuint maxMem);

    [LibraryImport(Library)]
    public static partial void vips_cache_set_max_files(int maxFiles);

    [LibraryImport(Library)]
    public static partial void vips_concurrency_set(int concurrency);

    [LibraryImport(Library)]
    public static partial int vips_concurrency_get();

    [LibraryImport(Library)]
    public static partial void vips_block_untrusted_set(int state);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void vips_operation_block_set(string name, int state);

    // ---- types
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint vips_type_find(string basename, string nickname);

    [LibraryImport(Library)]
    public static partial nint g_type_name(nuint type);

    [LibraryImport(Library)]
    public static partial nuint vips_image_get_type();

    [LibraryImport(Library)]
    public static partial nuint vips_blob_get_type();

    [LibraryImport(Library)]
    public static partial nuint vips_array_image_get_type();

    [LibraryImport(Library)]
    public static unsafe partial nint vips_array_image_new(nint* array, int n);

    // ---- objects and operations
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint vips_operation_new(string name);

    [LibraryImport(Library)]
    public static partial nint vips_cache_operation_build(VipsOperation operation);

    [LibraryImport(Library)]
    public static partial void vips_object_unref_outputs(GObjectHandle obj);

    // For SafeHandle.ReleaseHandle, where the handle itself can no longer be marshalled.
    [LibraryImport(Library, EntryPoint = "vips_object_unref_outputs")]
    public static partial void vips_object_unref_outputs_unsafe(nint obj);

    [LibraryImport(Library)]
    public static partial nint g_object_ref(nint obj);

    [LibraryImport(Library)]
    public static partial void g_object_unref(nint obj);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_object_set_argument_from_string(GObjectHandle obj, string name, string value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_object_get_argument(GObjectHandle obj, string name, out nint pspec, out nint argumentClass, out nint argumentInstance);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_set_property(GObjectHandle obj, string name, ref GValue value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void g_object_get_property(GObjectHandle obj, string name, ref GValue value);

    // ---- GValue
    [LibraryImport(Library)]
    public static partial nint g_value_init(ref GValue value, nuint type);

    [LibraryImport(Library)]
    public static partial void g_value_unset(ref GValue value);

    [LibraryImport(Library)]
    public static partial void g_value_set_int(ref GValue value, int v);

    [LibraryImport(Library)]
    public static partial void g_value_set_double(ref GValue value, double v);

    [LibraryImport(Library)]
    public static partial void g_value_set_boolean(ref GValue value, int v);

    [LibraryImport(Library)]
    public static partial void g_value_set_object(ref GValue value, nint obj);

    [LibraryImport(Library)]
    public static partial void g_value_set_boxed(ref GValue value, nint boxed);

    [LibraryImport(Library)]
    public static partial nint g_value_get_object(ref GValue value);

    [LibraryImport(Library)]
    public static partial nint g_value_dup_boxed(ref GValue value);

    [LibraryImport(Library)]
    public static partial int g_value_get_int(ref GValue value);

    [LibraryImport(Library)]
    public static partial double g_value_get_double(ref GValue value);

    // ---- blobs (VipsArea)
    [LibraryImport(Library)]
    public static partial nint vips_blob_copy(nint data, nuint length);

    [LibraryImport(Library)]
    public static partial nint vips_blob_get(VipsBlob blob, out nuint length);

    [LibraryImport(Library)]
    public static partial void vips_area_unref(nint area);

    // ---- images
    [LibraryImport(Library)]
    public static partial nint vips_foreign_find_load_buffer(nint data, nuint size);

    [LibraryImport(Library)]
    public static partial int vips_image_get_width(VipsImage image);

    [LibraryImport(Library)]
    public static partial int vips_image_get_height(VipsImage image);

    [LibraryImport(Library)]
    public static partial int vips_image_get_bands(VipsImage image);

    [LibraryImport(Library)]
    public static partial int vips_image_get_n_pages(VipsImage image);

    [LibraryImport(Library)]
    public static partial int vips_image_get_format(VipsImage image);

    [LibraryImport(Library)]
    public static partial int vips_image_get_page_height(VipsImage image);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nuint vips_image_get_typeof(VipsImage image, string name);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_image_get_int(VipsImage image, string name, out int value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_image_get_string(VipsImage image, string name, out nint value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void vips_image_set_int(VipsImage image, string name, int value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void vips_image_set_blob_copy(VipsImage image, string name, nint data, nuint length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int vips_image_remove(VipsImage image, string name);

    [LibraryImport(Library)]
    public static partial nint vips_image_copy_memory(VipsImage image);

    [LibraryImport(Library)]
    public static partial nint vips_image_get_fields(VipsImage image);

    [LibraryImport(Library)]
    public static partial void g_strfreev(nint strv);

    [LibraryImport(Library)]
    public static partial void vips_image_set_kill(VipsImage image, int kill);
}

/// <summary>GLib's GValue: a type tag and two 64-bit data words. Zeroed before g_value_init.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GValue
{
    public nuint GType;
    public ulong Data0;
    public ulong Data1;

    public const nuint Boolean = 5 << 2;
    public const nuint Int = 6 << 2;
    public const nuint Double = 15 << 2;
    public const nuint String = 16 << 2;
}
