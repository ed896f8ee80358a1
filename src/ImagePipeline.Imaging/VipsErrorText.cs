namespace ImagePipeline.Imaging;

/// <summary>What libvips' error text says about a failure.</summary>
internal enum VipsFailureKind
{
    /// <summary>Text is present but none of it is recognised: treated as a fault of ours or of the platform.</summary>
    Unrecognised,

    /// <summary>
    /// No specific text at all: an empty buffer, or only libvips' generic "load error". libvips' PNG loader reports
    /// libpng's own messages as warnings, not errors, so a damaged interlaced PNG fails this way.
    /// </summary>
    Silent,

    /// <summary>A decoder refused the file's data: truncated, malformed, over the decoder's own limits.</summary>
    Decode,

    /// <summary>A decoder recognised the container but not the variant (a codec or feature it lacks).</summary>
    Unsupported,

    /// <summary>The machine, not the file: memory, threads, temporary files, descriptors.</summary>
    Machine,
}

/// <summary>
/// Classifies libvips' error text. The text comes from a process-wide buffer, so it may hold lines of other images'
/// operations and miss our own: the engine uses this verdict only together with a second decode (see
/// <see cref="LibvipsImageEngine"/>), and never shows the text to a user.
/// </summary>
/// <remarks>
/// The phrases below are what libvips 8.18.7 (the bundled build: libjpeg-turbo, libpng, libwebp, libtiff, nsgif,
/// libheif) printed for truncated and bit-flipped variants of every format (the tests pin a sample of those texts),
/// plus the allocation and system messages of the same libraries.
/// </remarks>
internal static class VipsErrorText
{
    // Checked first. libheif reports a file that exceeds its structural limits as "Memory allocation error: Security
    // limit exceeded: …", which is about the file, not about memory; libjpeg's "Unsupported marker type" is a damaged
    // marker, not a variant.
    private static readonly string[] FileProblemsFirst = ["security limit", "unsupported marker", "maximum supported"];

    private static readonly string[] MachinePhrases =
    [
        "out of memory", // vips_tracked_malloc, libpng, libtiff, nsgif
        "insufficient memory", // libjpeg JERR_OUT_OF_MEMORY
        "not enough memory",
        "cannot allocate", // strerror(ENOMEM)
        "can't allocate",
        "unable to allocate",
        "failed to allocate",
        "could not allocate",
        "memory allocation", // libheif, libaom
        "allocation fail",
        "memory exhausted",
        "bad_alloc", // C++ codecs (libheif): std::bad_alloc
        "enomem",
        "memory limit",
        "unable to create thread", // vips_thread_new
        "cannot create thread",
        "thread creation",
        "g_thread",
        "pthread",
        "resource temporarily unavailable", // EAGAIN from pthread_create, fork
        "too many open files", // EMFILE, ENFILE
        "no space left on device", // ENOSPC: temporary files
        "disk quota exceeded",
        "read-only file system",
        "temp file",
        "temporary file",
        "vips__temp_name",
        "mkstemp",
        "mmap",
        "for writing",
    ];

    private static readonly string[] UnsupportedPhrases =
    [
        "not in a known format",
        "not a known",
        "unsupported feature", // libheif
        "unsupported filetype", // libheif
        "no decoding plugin", // libheif without the codec
        "unsupported jpeg process", // libjpeg: 12-bit, lossless…
        "compression method is not configured", // libtiff without the codec
        "unsupported",
        "not supported",
    ];

    private static readonly string[] DecodePhrases =
    [
        "premature end", // libjpeg
        "corrupt", // libjpeg "Corrupt JPEG data…", libheif "Corrupt frame detected"
        "bogus", // libjpeg "Bogus Huffman table definition", "Bogus marker length"…
        "invalid", // libjpeg, libheif "Invalid input", nsgif "Invalid frame data", libtiff/zlib "invalid code"
        "read error", // vipspng "libpng read error"
        "unable to parse", // webp
        "unable to read", // webp2vips "unable to read pixels"
        "unexpected end", // nsgif, libheif
        "end of file",
        "end of data",
        "end of stream", // libspng (libvips 8.14)
        "not enough data", // libvips' PNG source reader, libspng
        "not enough image data", // libpng
        "no frames", // gifload
        "contains no image", // libjpeg
        "not a jpeg file",
        "missing", // libjpeg "missing SOS marker", libtiff "required field … missing"
        "was not defined", // libjpeg "Huffman table 0x.. was not defined"
        "extraneous bytes",
        "found marker",
        "sampling factors",
        "file structure",
        "seek error", // libtiff "Seek error accessing TIFF directory"
        "tiff directory",
        "read directory",
        "unable to open source for input", // tiff2vips after libtiff refused the directory
        "incorrect count", // libtiff
        "incompatible type",
        "io error during reading",
        "scanline size",
        "cannot handle", // libtiff "Cannot handle different values per sample…"
        "cannot be read", // libtiff "ZIPDecode: Scanline … cannot be read due to previous error"
        "decoding error",
        "decode error",
        "failed to decode",
        "decompress",
        "zipdecode",
        "lzwdecode",
        "bad ", // libjpeg "bad Huffman code", libtiff "Bad code word", webp "bad image dimensions"
        "wrong",
        "crc",
        "checksum",
        "mismatch",
        "stream error", // libspng "IDAT stream error"
        "outside of file bounds", // libheif
        "out of bounds",
        "no 'meta' box", // libheif
        "no 'iinf' box",
        "no 'iprp' box",
        "non-existing item",
        "no compressed data",
        "overflow", // libtiff "Integer overflow", libspng "chunk length overflow"
    ];

    // libvips' own words when a loader failed without saying why (PNG reports libpng's reason as a warning).
    private static readonly string[] GenericLoaderFailure = ["load error"];

    /// <summary>Classifies one failure's text (every line libvips' buffer held; lines separated by newlines).</summary>
    public static VipsFailureKind Classify(string text)
    {
        var kinds = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ClassifyLine).ToList();
        VipsFailureKind[] precedence =
            [VipsFailureKind.Machine, VipsFailureKind.Unsupported, VipsFailureKind.Decode, VipsFailureKind.Unrecognised];
        foreach (var kind in precedence)
        {
            if (kinds.Contains(kind))
            {
                return kind;
            }
        }

        return VipsFailureKind.Silent;
    }

    private static VipsFailureKind ClassifyLine(string line)
    {
        if (Matches(line, FileProblemsFirst))
        {
            return VipsFailureKind.Decode;
        }

        if (Matches(line, MachinePhrases))
        {
            return VipsFailureKind.Machine;
        }

        if (Matches(line, UnsupportedPhrases))
        {
            return VipsFailureKind.Unsupported;
        }

        // "Invalid argument" is strerror(EINVAL): a call of ours, not the file.
        if (Matches(line, DecodePhrases) && !line.Contains("invalid argument", StringComparison.OrdinalIgnoreCase))
        {
            return VipsFailureKind.Decode;
        }

        return Matches(line, GenericLoaderFailure) ? VipsFailureKind.Silent : VipsFailureKind.Unrecognised;
    }

    private static bool Matches(string line, string[] phrases) =>
        phrases.Any(phrase => line.Contains(phrase, StringComparison.OrdinalIgnoreCase));
}
