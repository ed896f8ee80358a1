using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Imaging;

/// <summary>Settings of <see cref="LibvipsImageEngine"/>.</summary>
public sealed record LibvipsEngineOptions
{
    /// <summary>Input limits enforced before decoding.</summary>
    public ImageLimits Limits { get; init; } = ImageLimits.Default;

    /// <summary>libvips worker threads per pipeline; null keeps libvips' default (the number of cores).</summary>
    public int? Concurrency { get; init; }

    /// <summary>How many outputs of one image are encoded at once (WebP encoding is single-threaded); default: cores.</summary>
    public int EncodeParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        Limits.Validate();
        if (Concurrency is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Concurrency), Concurrency, "Concurrency must be between 1 and 1024.");
        }

        if (EncodeParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EncodeParallelism), EncodeParallelism, "EncodeParallelism must be at least 1.");
        }
    }
}
