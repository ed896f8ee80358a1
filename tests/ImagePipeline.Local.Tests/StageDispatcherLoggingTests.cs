using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// The dispatcher's log lines for stage reports: a real outbox (SQLite in a temp folder) and Core's real StageProcessor
/// over the in-memory ports; the log is captured by a hand-written logger. Nothing else runs.
/// </summary>
public sealed class StageDispatcherLoggingTests : IDisposable
{
    private readonly DispatcherRig _rig = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StageDone_LoggedAsInformationWithoutACode()
    {
        var entry = await RunOneAsync(maxAttempts: 5);

        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("done", entry.Text("Outcome"));
        Assert.False(entry.Properties.ContainsKey("ErrorCode"), "A success names no error code.");
        Assert.DoesNotContain("code", entry.Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("Stage resize done image ", entry.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ImageErrorCode.CorruptImage, "corrupt_image")]
    [InlineData(ImageErrorCode.UnsupportedFormat, "unsupported_format")]
    [InlineData(ImageErrorCode.TooManyPixels, "too_many_pixels")]
    public async Task UsersFileCannotBeProcessed_LoggedAsWarningWithItsCode(ImageErrorCode code, string wire)
    {
        _rig.Engine.FailWith = new ImageProcessingException(code, "Not processable.");

        var entry = await RunOneAsync(maxAttempts: 5);

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(wire, entry.Text("ErrorCode"));
        Assert.Contains($"failed image {entry.Text("ImageId")} with {wire} in ", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InternalFailureOnTheLastAttempt_LoggedAsErrorWithInternal()
    {
        _rig.Store.FailReadsWith = new TransientStorageException("disk unavailable");

        var entry = await RunOneAsync(maxAttempts: 1);

        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(("gave-up", "internal"), (entry.Text("Outcome"), entry.Text("ErrorCode")));
    }

    [Fact]
    public async Task TransientFailureBeforeTheLastAttempt_LoggedAsWarning()
    {
        _rig.Store.FailReadsWith = new TransientStorageException("disk unavailable");

        var entry = await RunOneAsync(maxAttempts: 5);

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("retry", entry.Text("Outcome"));
        Assert.False(entry.Properties.ContainsKey("ErrorCode"));
    }

    /// <summary>Runs one uploaded image through the resize stage and returns its one report.</summary>
    private async Task<CapturedEntry> RunOneAsync(int maxAttempts)
    {
        await _rig.RunAsync([Stage.Resize], maxAttempts, Token);
        return Assert.Single(_rig.Reports);
    }

    public void Dispose() => _rig.Dispose();
}

/// <summary>One captured log call: its level, rendered message, template and named values.</summary>
internal sealed record CapturedEntry(LogLevel Level, string Message, string Template, IReadOnlyDictionary<string, object?> Properties)
{
    public string? Text(string name) => Properties.TryGetValue(name, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>An <see cref="ILogger{T}"/> that keeps every entry, with the structured values of its message template.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly Lock _gate = new();
    private readonly List<CapturedEntry> _entries = [];

    public IReadOnlyList<CapturedEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        var template = values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value as string ?? "";
        var properties = values.Where(v => v.Key != "{OriginalFormat}").ToDictionary(v => v.Key, v => v.Value);
        lock (_gate)
        {
            _entries.Add(new CapturedEntry(logLevel, formatter(state, exception), template, properties));
        }
    }
}
