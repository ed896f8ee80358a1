using static ImagePipeline.Imaging.Interop.NativeMethods;

namespace ImagePipeline.Imaging.Interop;

/// <summary>
/// A libvips operation driven through GObject properties: <c>New</c>, set inputs, <c>Build</c>, read outputs.
/// Disposing a built operation releases the references it holds on its outputs.
/// </summary>
internal sealed class VipsOperation : GObjectHandle
{
    private readonly bool _built;

    private VipsOperation(nint handle, string name, bool built)
        : base(handle)
    {
        Name = name;
        _built = built;
    }

    public string Name { get; }

    public static VipsOperation New(string name)
    {
        var handle = vips_operation_new(name);
        return handle == 0
            ? throw VipsException.FromErrorBuffer($"libvips has no operation '{name}'")
            : new VipsOperation(handle, name, built: false);
    }

    /// <summary>Whether this operation class declares <paramref name="name"/> (feature detection across versions).</summary>
    public bool HasArgument(string name)
    {
        var found = vips_object_get_argument(this, name, out _, out _, out _) == 0;
        if (!found)
        {
            // The miss was reported into libvips' error buffer; it is an answer here, not an error.
            vips_error_clear();
        }

        return found;
    }

    public VipsOperation Set(string name, int value)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, GValue.Int);
        g_value_set_int(ref gvalue, value);
        return SetAndUnset(name, ref gvalue);
    }

    public VipsOperation Set(string name, double value)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, GValue.Double);
        g_value_set_double(ref gvalue, value);
        return SetAndUnset(name, ref gvalue);
    }

    public VipsOperation Set(string name, bool value)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, GValue.Boolean);
        g_value_set_boolean(ref gvalue, value ? 1 : 0);
        return SetAndUnset(name, ref gvalue);
    }

    public VipsOperation Set(string name, VipsImage image)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, vips_image_get_type());
        var added = false;
        try
        {
            image.DangerousAddRef(ref added);
            g_value_set_object(ref gvalue, image.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                image.DangerousRelease();
            }
        }

        return SetAndUnset(name, ref gvalue);
    }

    public VipsOperation Set(string name, VipsBlob blob)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, vips_blob_get_type());
        var added = false;
        try
        {
            blob.DangerousAddRef(ref added);
            g_value_set_boxed(ref gvalue, blob.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                blob.DangerousRelease();
            }
        }

        return SetAndUnset(name, ref gvalue);
    }

    /// <summary>Sets an array-of-images argument (e.g. bandjoin's <c>in</c>).</summary>
    public unsafe VipsOperation Set(string name, IReadOnlyList<VipsImage> images)
    {
        var pointers = stackalloc nint[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            pointers[i] = images[i].DangerousGetHandle();
        }

        // vips_array_image_new takes its own reference to every image; the GValue then owns the array.
        var array = vips_array_image_new(pointers, images.Count);
        var gvalue = default(GValue);
        g_value_init(ref gvalue, vips_array_image_get_type());
        g_value_set_boxed(ref gvalue, array);
        vips_area_unref(array);
        SetAndUnset(name, ref gvalue);
        GC.KeepAlive(images);
        return this;
    }

    /// <summary>Sets an enum, flags or any scalar from its libvips string form (e.g. <c>crop=attention</c>).</summary>
    public VipsOperation SetFromString(string name, string value)
    {
        if (vips_object_set_argument_from_string(this, name, value) != 0)
        {
            throw VipsException.FromErrorBuffer($"cannot set {name}={value}");
        }

        return this;
    }

    /// <summary>Runs the operation. On failure the libvips error text becomes a <see cref="VipsException"/>.</summary>
    public VipsOperation Build()
    {
        var built = vips_cache_operation_build(this);
        if (built == 0)
        {
            var error = VipsException.FromErrorBuffer(Name);
            vips_object_unref_outputs(this);
            throw error;
        }

        return new VipsOperation(built, Name, built: true);
    }

    public VipsImage GetImage(string name)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, vips_image_get_type());
        g_object_get_property(this, name, ref gvalue);
        var image = g_object_ref(g_value_get_object(ref gvalue));
        g_value_unset(ref gvalue);
        return VipsImage.Own(image);
    }

    public VipsBlob GetBlob(string name)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, vips_blob_get_type());
        g_object_get_property(this, name, ref gvalue);
        var blob = g_value_dup_boxed(ref gvalue);
        g_value_unset(ref gvalue);
        return VipsBlob.Own(blob);
    }

    public double GetDouble(string name)
    {
        var gvalue = default(GValue);
        g_value_init(ref gvalue, GValue.Double);
        g_object_get_property(this, name, ref gvalue);
        var value = g_value_get_double(ref gvalue);
        g_value_unset(ref gvalue);
        return value;
    }

    private VipsOperation SetAndUnset(string name, ref GValue gvalue)
    {
        g_object_set_property(this, name, ref gvalue);
        g_value_unset(ref gvalue);
        return this;
    }

    protected override bool ReleaseHandle()
    {
        if (_built)
        {
            vips_object_unref_outputs_unsafe(handle);
        }

        return base.ReleaseHandle();
    }
}
