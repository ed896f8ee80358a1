using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// The dispatcher's log lines for stage reports: a real outbox (SQLite in a temp folder) and Core's real StageProcessor
/// over the in-memory ports; the log is captured by a hand-written logger. Nothing else runs.
/// </summary>
public sealed class StageDispatcherLoggingTests : IDisposable
{
    private static readonly byte[] Bytes = "original bytes"u8.ToArray();
    private readonly TempDirectory _folder = new();
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store = new(TimeProvider.System);
    private readonly FakeImageEngine _engine = new();
    private readonly CapturingLogger<StageDispatcher> _log = new();

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
        _engine.FailWith = new ImageProcessingException(code, "Not processable.");

        var entry = await RunOneAsync(maxAttempts: 5);

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(wire, entry.Text("ErrorCode"));
        Assert.Contains($"failed image {entry.Text("ImageId")} with {wire} in ", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InternalFailureOnTheLastAttempt_LoggedAsErrorWithInternal()
    {
        _store.FailReadsWith = new TransientStorageException("disk unavailable");

        var entry = await RunOneAsync(maxAttempts: 1);

        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(("gave-up", "internal"), (entry.Text("Outcome"), entry.Text("ErrorCode")));
    }

    [Fact]
    public async Task TransientFailureBeforeTheLastAttempt_LoggedAsWarning()
    {
        _store.FailReadsWith = new TransientStorageException("disk unavailable");

        var entry = await RunOneAsync(maxAttempts: 5);

        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("retry", entry.Text("Outcome"));
        Assert.False(entry.Properties.ContainsKey("ErrorCode"));
    }

    /// <summary>Queues one uploaded image for the resize stage, runs the dispatcher until it logged its report, and returns that entry.</summary>
    private async Task<CapturedEntry> RunOneAsync(int maxAttempts)
    {
        var clock = TimeProvider.System;
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(clock), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = Bytes.Length,
            CreatedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(), ExpiresAt = clock.GetUtcNow().AddHours(24),
        });
        var key = ObjectKeys.Original(record.Id);
        var etag = _store.PutOriginal(key, Bytes);
        var body = S3EventParser.Serialize(new ObjectCreated("local-originals", key, Bytes.Length, etag, "1"), clock.GetUtcNow());

        var outbox = new Outbox(_folder.Combine("queue.db"), clock);
        var processor = new StageProcessor(_catalog, _store, _engine, new PipelineOptions { CursorKey = new byte[32], MaxAttempts = maxAttempts }, clock);
        using var dispatcher = new StageDispatcher(
            outbox, processor, new DispatcherOptions { Concurrency = 1, MaxAttempts = maxAttempts, RetryDelay = TimeSpan.FromMinutes(1) }, _log);
        await outbox.EnqueueAsync(key, body, [Stage.Resize], Token);
        await dispatcher.StartAsync(Token);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (!_log.Entries.Any(IsReport))
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }

        return Assert.Single(_log.Entries, IsReport);

        static bool IsReport(CapturedEntry e) => e.Template.StartsWith("Stage {Stage} {Outcome}", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
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
