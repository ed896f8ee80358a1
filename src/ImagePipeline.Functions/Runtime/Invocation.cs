namespace ImagePipeline.Functions.Runtime;

/// <summary>One event taken from the Runtime API: its payload and the headers that came with it.</summary>
/// <param name="RequestId">Lambda-Runtime-Aws-Request-Id: where the response or error goes.</param>
/// <param name="Deadline">Lambda-Runtime-Deadline-Ms: when the invocation times out.</param>
/// <param name="FunctionArn">Lambda-Runtime-Invoked-Function-Arn.</param>
/// <param name="TraceId">Lambda-Runtime-Trace-Id (X-Ray), when tracing is on.</param>
/// <param name="Payload">The event JSON.</param>
internal sealed record Invocation(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId, ReadOnlyMemory<byte> Payload);

/// <summary>What a handler gets besides the payload: who is asking, and how long it may take.</summary>
internal sealed class InvocationContext(Invocation invocation, TimeProvider clock, CancellationToken cancellationToken)
{
    /// <summary>The request id (also on every log line of the invocation).</summary>
    public string RequestId => invocation.RequestId;

    /// <summary>The X-Ray trace header, when tracing is on.</summary>
    public string? TraceId => invocation.TraceId;

    /// <summary>When Lambda ends the invocation.</summary>
    public DateTimeOffset Deadline => invocation.Deadline;

    /// <summary>Cancelled a safety margin before <see cref="Deadline"/>, so a reply can still be sent.</summary>
    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>Time left until <see cref="Deadline"/> (negative once past it).</summary>
    public TimeSpan Remaining => invocation.Deadline - clock.GetUtcNow();
}

/// <summary>Turns the Runtime API's deadline into a cancellation delay.</summary>
internal static class DeadlineTimer
{
    /// <summary>
    /// Left for posting the response after the handler's token fires: an HTTP POST on loopback takes milliseconds, but
    /// a cancelled libvips pipeline or S3 call needs a moment to unwind.
    /// </summary>
    public static readonly TimeSpan DefaultMargin = TimeSpan.FromMilliseconds(750);

    /// <summary>
    /// How long after <paramref name="now"/> the handler's token must fire: the deadline minus
    /// <paramref name="margin"/>, at least zero (already due), and for a short invocation at least half the time left,
    /// so a 1-second function still gets to work.
    /// </summary>
    public static TimeSpan DelayUntilCancel(DateTimeOffset deadline, DateTimeOffset now, TimeSpan margin)
    {
        var left = deadline - now;
        if (left <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var delay = left - margin;
        return delay < left / 2 ? left / 2 : delay;
    }

    /// <summary>A token source cancelling at <see cref="DelayUntilCancel"/> on <paramref name="clock"/>.</summary>
    public static CancellationTokenSource Start(DateTimeOffset deadline, TimeProvider clock, TimeSpan margin)
    {
        var delay = DelayUntilCancel(deadline, clock.GetUtcNow(), margin);
        return new CancellationTokenSource(delay, clock);
    }
}
