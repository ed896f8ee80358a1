namespace ImagePipeline.Benchmarks;

/// <summary>The result of one measurement: median wall and CPU time over the measured runs, and the peak RSS.</summary>
/// <param name="MedianMs">Median wall time of one run (for a command list, of the sum of its commands).</param>
/// <param name="MedianCpuMs">Median user+system CPU time of one run.</param>
/// <param name="PeakRssMiB">Highest ru_maxrss of any process measured (NaN when not measured).</param>
/// <param name="CommandMedianMs">For a command list: the median wall time of each command on its own.</param>
internal sealed record Measurement(double MedianMs, double MedianCpuMs, double PeakRssMiB, IReadOnlyList<double> CommandMedianMs)
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>One run of a measurement.</summary>
/// <param name="WallMs">Wall time (for a command list, the sum over its commands).</param>
/// <param name="CpuMs">User plus system CPU time.</param>
/// <param name="MaxRssKiB">Highest ru_maxrss of the run's processes; -1 for in-process runs.</param>
/// <param name="CommandMs">For a command list, each command's wall time.</param>
internal sealed record Sample(double WallMs, double CpuMs, long MaxRssKiB, IReadOnlyList<double> CommandMs);

/// <summary>A measurement being taken: what one run does, and the runs so far (the warm-up is not kept).</summary>
internal sealed class Series(string name, Func<Sample> once)
{
    public string Name => name;

    public List<Sample> Samples { get; } = [];

    public string? Failure { get; set; }

    public Sample RunOnce() => once();

    public Measurement? Result()
    {
        if (Failure is not null || Samples.Count == 0)
        {
            return null;
        }

        var peak = Samples.Max(s => s.MaxRssKiB);
        var commands = Samples[0].CommandMs.Count;
        return new Measurement(
            Measurement.Median(Samples.Select(s => s.WallMs).ToList()),
            Measurement.Median(Samples.Select(s => s.CpuMs).ToList()),
            peak < 0 ? double.NaN : peak / 1024.0,
            Enumerable.Range(0, commands).Select(c => Measurement.Median(Samples.Select(s => s.CommandMs[c]).ToList())).ToList());
    }
}

/// <summary>A row of the report: a measurement, or why there is none.</summary>
internal sealed record Row(string Name, Measurement? Value, string? Missing)
{
    public static Row Of(string name, Measurement value) => new(name, value, null);

    public static Row Without(string name, string why) => new(name, null, why);
}

/// <summary>One external command: the executable and its arguments (argv[1..]).</summary>
internal sealed record Command(string File, IReadOnlyList<string> Arguments)
{
    public override string ToString() =>
        string.Join(' ', new[] { File }.Concat(Arguments).Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains('^', StringComparison.Ordinal) || a.Contains('>', StringComparison.Ordinal) || a.Contains('[', StringComparison.Ordinal) ? $"'{a}'" : a));
}

/// <summary>An external command that did not succeed.</summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException(Command command, ChildResult result, string stderr)
        : base($"{command} failed ({result.Describe()}){(stderr.Length > 0 ? ": " + stderr : "")}")
    {
    }

    /// <summary>A long-lived command whose answer was missing or wrong.</summary>
    public CommandFailedException(Command command, string problem)
        : base($"{command}: {problem}")
    {
    }
}
