using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Services;

/// <summary>Settings of the application services, validated at start-up.</summary>
public sealed record PipelineOptions
{
    /// <summary>Input limits (upload size, pixels).</summary>
    public ImageLimits Limits { get; init; } = ImageLimits.Default;

    /// <summary>The processing recipe.</summary>
    public ImageRecipe Recipe { get; init; } = ImageRecipe.Default;

    /// <summary>Lifetime of presigned upload and download URLs.</summary>
    public TimeSpan UrlLifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a record with nothing uploaded lives.</summary>
    public TimeSpan PendingLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a deleted record is kept as a tombstone against late events.</summary>
    public TimeSpan TombstoneLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Receives of one event before a transient failure is recorded as <c>internal</c> (SQS maxReceiveCount).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Whether the API returns GPS positions (always stored; off by default).</summary>
    public bool ExposeGps { get; init; }

    /// <summary>Secret that signs list cursors (at least 32 bytes).</summary>
    public required byte[] CursorKey { get; init; }

    /// <summary>Throws with the offending setting's name.</summary>
    public void Validate()
    {
        Limits.Validate();
        if (UrlLifetime <= TimeSpan.Zero || UrlLifetime > TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(UrlLifetime), UrlLifetime, "UrlLifetime must be between 0 and 7 days.");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        }

        if (CursorKey is not { Length: >= 32 })
        {
            throw new ArgumentException("CursorKey must hold at least 32 bytes.", nameof(CursorKey));
        }
    }
}
