using System.Globalization;

namespace ImagePipeline.Local.Faults;

/// <summary>
/// Switches for the fault-injection suite, read from the environment and off unless set: a clock offset (a restart
/// "25 hours later") and transient storage faults on the stages' catalog and object-store calls. The host logs a
/// warning when either is on; nothing else reads them.
/// </summary>
internal sealed record TestSwitches(TimeSpan ClockOffset, FaultPlan? Faults)
{
    public const string ClockOffsetVariable = "IMAGEPIPELINE_TEST_CLOCK_OFFSET";
    public const string FaultsVariable = "IMAGEPIPELINE_TEST_FAULTS";

    public bool AnyOn => ClockOffset != TimeSpan.Zero || Faults is not null;

    /// <summary>
    /// <c>IMAGEPIPELINE_TEST_CLOCK_OFFSET</c>: a <see cref="TimeSpan"/> (<c>1.01:00:00</c>). <c>IMAGEPIPELINE_TEST_FAULTS</c>:
    /// <c>seed=N;rate=0.1</c>. A malformed value stops the start with the variable's name.
    /// </summary>
    public static TestSwitches FromEnvironment()
    {
        var offset = TimeSpan.Zero;
        if (Environment.GetEnvironmentVariable(ClockOffsetVariable) is { Length: > 0 } offsetText
            && !TimeSpan.TryParse(offsetText, CultureInfo.InvariantCulture, out offset))
        {
            throw new InvalidOperationException($"{ClockOffsetVariable} must be a time span such as 1.01:00:00; got '{offsetText}'.");
        }

        FaultPlan? faults = null;
        if (Environment.GetEnvironmentVariable(FaultsVariable) is { Length: > 0 } faultText)
        {
            faults = FaultPlan.Parse(faultText) ?? throw new InvalidOperationException($"{FaultsVariable} must look like seed=42;rate=0.1 (rate between 0 and 0.9); got '{faultText}'.");
        }

        return new TestSwitches(offset, faults);
    }
}

/// <summary>A clock running <see cref="Offset"/> ahead of the system's.</summary>
internal sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset => offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
