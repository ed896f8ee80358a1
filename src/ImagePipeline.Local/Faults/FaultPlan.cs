using System.Globalization;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Faults;

/// <summary>
/// Decides, from a seeded generator, which storage calls fail transiently: before the call (nothing happened) or after
/// it (it happened, but the caller is told it failed — the case that makes retries meet their own earlier writes).
/// Tells <see cref="Injected"/> of each one.
/// </summary>
internal sealed class FaultPlan(int seed, double rate)
{
    /// <summary>Told of each injected fault (the host logs it, so a test can count them even across kills).</summary>
    public Action<string>? Injected { get; set; }

    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public int Seed => seed;

    public double Rate => rate;

    public static FaultPlan? Parse(string text)
    {
        int? seed = null;
        double? rate = null;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            switch (pair)
            {
                case ["seed", var s] when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsedSeed):
                    seed = parsedSeed;
                    break;
                case ["rate", var r] when double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsedRate) && parsedRate is >= 0 and <= 0.9:
                    rate = parsedRate;
                    break;
                default:
                    return null;
            }
        }

        return seed is { } s2 && rate is { } r2 ? new FaultPlan(s2, r2) : null;
    }

    /// <summary>Runs <paramref name="call"/>, failing before or after it as the plan decides.</summary>
    public async Task<T> RunAsync<T>(string what, Func<Task<T>> call)
    {
        var (failBefore, failAfter) = Draw();
        if (failBefore)
        {
            Injected?.Invoke($"before {what}");
            throw new TransientStorageException($"Injected fault before {what}.");
        }

        var result = await call().ConfigureAwait(false);
        if (failAfter)
        {
            Injected?.Invoke($"after {what}");
            throw new TransientStorageException($"Injected fault after {what}.");
        }

        return result;
    }

    public Task RunAsync(string what, Func<Task> call) =>
        RunAsync(what, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        });

    private (bool Before, bool After) Draw()
    {
        lock (_lock)
        {
            var x = _random.NextDouble();
            return (x < rate / 2, x >= rate / 2 && x < rate);
        }
    }
}
