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

    /// <summary>How long the API shows a record with nothing uploaded (an upload that never came is gone after it).</summary>
    public TimeSpan PendingLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a record with nothing recorded yet is physically kept (its <c>expiresAt</c>, DynamoDB's TTL stamp): past
    /// the longest life of an event — 14 days in the source queues and dead-letter queues, counted from the original
    /// enqueue — plus a day. Its events may arrive that late, and must then find the record, or the stage would take
    /// the original for an orphan and delete it.
    /// </summary>
    public TimeSpan PendingRetention { get; init; } = MaxEventAge + TimeSpan.FromDays(1);

    /// <summary>The longest an event can wait in the queues (SQS retention of the source and dead-letter queues).</summary>
    public static readonly TimeSpan MaxEventAge = TimeSpan.FromDays(14);

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

        if (PendingLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PendingLifetime), PendingLifetime, "PendingLifetime must be positive.");
        }

        // An upload lands within the URL's lifetime of the record's creation, and its events may wait MaxEventAge.
        if (PendingRetention < UrlLifetime + MaxEventAge || PendingRetention < PendingLifetime)
        {
            throw new ArgumentOutOfRangeException(
                nameof(PendingRetention), PendingRetention, $"PendingRetention must be at least UrlLifetime + {MaxEventAge.TotalDays:0} days (the longest an event can wait) and at least PendingLifetime.");
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
