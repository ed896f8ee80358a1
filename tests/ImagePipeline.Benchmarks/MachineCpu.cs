using System.Globalization;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// The whole machine's CPU counters from the first line of <c>/proc/stat</c> (clock ticks since boot), so a report can
/// say how much of the machine a measured process had and how much other work took.
/// </summary>
/// <param name="Busy">user + nice + system + irq + softirq + steal.</param>
/// <param name="Idle">idle (without iowait).</param>
/// <param name="IoWait">iowait: idle while some task waited for disk.</param>
internal readonly record struct MachineCpu(long Busy, long Idle, long IoWait)
{
    // USER_HZ: 100 on every Linux architecture .NET runs on.
    private const double MsPerTick = 10;

    public static MachineCpu Read()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();

            // user nice system idle iowait irq softirq steal (guest time is already inside user).
            return new MachineCpu(f[0] + f[1] + f[2] + f[5] + f[6] + (f.Length > 7 ? f[7] : 0), f[3], f[4]);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return new MachineCpu(-1, -1, -1);
        }
    }

    /// <summary>Busy CPU milliseconds of the whole machine between two readings.</summary>
    public static double BusyMs(MachineCpu before, MachineCpu after) =>
        before.Busy < 0 || after.Busy < 0 ? double.NaN : (after.Busy - before.Busy) * MsPerTick;

    /// <summary>iowait milliseconds (summed over cores) between two readings.</summary>
    public static double IoWaitMs(MachineCpu before, MachineCpu after) =>
        before.Busy < 0 || after.Busy < 0 ? double.NaN : (after.IoWait - before.IoWait) * MsPerTick;
}
