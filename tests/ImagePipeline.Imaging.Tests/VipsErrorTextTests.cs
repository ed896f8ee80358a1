namespace ImagePipeline.Imaging.Tests;

/// <summary>
/// The classifier on libvips' own words. Every decode and machine text below was printed by the bundled libvips 8.18.7
/// for truncated or bit-flipped variants of the samples and the shared corpus, or for the out-of-memory test's file;
/// the thread and ENOMEM texts are libvips' and glibc's wording.
/// </summary>
public sealed class VipsErrorTextTests
{
    [Theory]
    [InlineData("VipsJpeg: premature end of JPEG image")]
    [InlineData("VipsJpeg: Corrupt JPEG data: premature end of data segment\nVipsJpeg: premature end of JPEG image")]
    [InlineData("VipsJpeg: Bogus Huffman table definition")]
    [InlineData("VipsJpeg: Corrupt JPEG data: 41 extraneous bytes before marker 0xda\nVipsJpeg: Invalid component ID 3 in SOS")]
    [InlineData("VipsJpeg: Unsupported marker type 0x1c")]
    [InlineData("VipsJpeg: Invalid JPEG file structure: missing SOS marker")]
    [InlineData("VipsJpeg: JPEG datastream contains no image")]
    [InlineData("vipspng: libpng read error")]
    [InlineData("webp: unable to parse image")]
    [InlineData("webp2vips: unable to read pixels")]
    [InlineData("webp: bad image dimensions")]
    [InlineData("gifload_buffer: Unexpected end of GIF source data")]
    [InlineData("gifload_buffer: no frames in GIF")]
    [InlineData("gifload_buffer: Invalid frame data")]
    [InlineData("tiff2vips: source input: Seek error accessing TIFF directory\ntiff2vips: Failed to read directory at offset 4562\nvips__tiff_openin_source: unable to open source for input")]
    [InlineData("tiff2vips: Incorrect count for \"SamplesPerPixel\"")]
    [InlineData("tiff2vips: Decoding error at scanline 12, invalid code -- missing end-of-block")]
    [InlineData("tiff2vips: Bad code word at line 0 of strip 3 (x 12)")]
    [InlineData("heif: Invalid input: Unexpected end of file: Extent in iloc box references data outside of file bounds (points to file position 1183) (1.20.2)")]
    [InlineData("heif: Invalid input: Unspecified: Corrupt frame detected (1.20.2)")]
    [InlineData("heif: Memory allocation error: Security limit exceeded: Number of extents in iloc box (1025) exceeds security limit (1024)")]
    public void Classify_DecoderComplaint_IsDecode(string text) =>
        Assert.Equal(VipsFailureKind.Decode, VipsErrorText.Classify(text));

    [Theory]
    [InlineData("vips_tracked: out of memory -- size == 762939MB")]
    [InlineData("VipsJpeg: premature end of JPEG image\nvips_tracked: out of memory -- size == 7629394MB")]
    [InlineData("VipsJpeg: Insufficient memory (case 4)")]
    [InlineData("vips_thread_new: unable to create thread")]
    [InlineData("vips__file_open_write: unable to open file \"/tmp/vips-0-XYZ.v\" for writing\nunix error: No space left on device")]
    [InlineData("heif: Memory allocation error: Unspecified")]
    [InlineData("unix error: Cannot allocate memory")]
    [InlineData("heif: std::bad_alloc")]
    public void Classify_MachineText_IsMachineEvenBesideADecoderComplaint(string text) =>
        Assert.Equal(VipsFailureKind.Machine, VipsErrorText.Classify(text));

    [Theory]
    [InlineData("heif: Unsupported feature: Unsupported codec (1.20.2)")]
    [InlineData("VipsForeignLoad: \"x\" is not in a known format")]
    public void Classify_VariantTheLoaderLacks_IsUnsupported(string text) =>
        Assert.Equal(VipsFailureKind.Unsupported, VipsErrorText.Classify(text));

    [Theory]
    [InlineData("")]
    [InlineData("pngload_buffer: load error")]
    public void Classify_NoSpecificText_IsSilent(string text) =>
        Assert.Equal(VipsFailureKind.Silent, VipsErrorText.Classify(text));

    [Theory]
    [InlineData("vips_colourspace: no known route from 'fourier' to 'srgb'")]
    [InlineData("webpsave_buffer: unable to encode")]
    [InlineData("unix error: Invalid argument")]
    public void Classify_TextNobodyRecognises_IsUnrecognised(string text) =>
        Assert.Equal(VipsFailureKind.Unrecognised, VipsErrorText.Classify(text));
}
