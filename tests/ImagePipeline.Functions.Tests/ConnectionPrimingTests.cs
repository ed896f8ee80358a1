using System.Text.Json;
using ImagePipeline.Core.Storage;
using ImagePipeline.Functions.Hosting;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>The reads made during init: they find nothing, change nothing, and never fail or hold up the init.</summary>
public sealed class ConnectionPrimingTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(300);
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
    private readonly StringWriter _output = new();
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store;

    public ConnectionPrimingTests() => _store = new InMemoryObjectStore(_clock);

    private JsonLogger Log => new(_output, _clock, "resize");

    private List<JsonElement> Lines =>
        [.. _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public async Task RunAsync_StagePrimers_FindNothingChangeNothingAndReportBothOpened()
    {
        await ConnectionPriming.RunAsync([ConnectionPriming.Catalog(_catalog), ConnectionPriming.Originals(_store)], Log, Budget);

        Assert.Equal(1, _catalog.Lookups);
        Assert.Empty(_catalog.Records);
        Assert.Empty(_store.Objects);
        var line = Assert.Single(Lines);
        Assert.Equal("Information", line.GetProperty("level").GetString());
        Assert.Equal("catalog,originals", line.GetProperty("properties").GetProperty("Services").GetString());
    }

    [Fact]
    public async Task RunAsync_ReadFails_WarnsNamingTheServiceAndReturns()
    {
        _catalog.FailWith = new TransientStorageException("DynamoDB is unreachable");

        await ConnectionPriming.RunAsync([ConnectionPriming.Catalog(_catalog), ConnectionPriming.Originals(_store)], Log, Budget);

        var warning = Assert.Single(Lines, l => l.GetProperty("level").GetString() == "Warning");
        Assert.Equal("catalog", warning.GetProperty("properties").GetProperty("Service").GetString());
        Assert.Contains("DynamoDB is unreachable", warning.GetProperty("message").GetString(), StringComparison.Ordinal);
        var summary = Assert.Single(Lines, l => l.GetProperty("level").GetString() == "Information");
        Assert.Equal("originals", summary.GetProperty("properties").GetProperty("Services").GetString());
    }

    [Fact]
    public async Task RunAsync_ReadNeverAnswersAndIgnoresItsToken_ReturnsAfterTheBudgetWithAWarning()
    {
        var never = new TaskCompletionSource();
        var honoursToken = new Primer("catalog", token => Task.Delay(Timeout.Infinite, token));
        var ignoresToken = new Primer("originals", _ => never.Task);

        await ConnectionPriming.RunAsync([honoursToken, ignoresToken], Log, Budget).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var warnings = Lines.Where(l => l.GetProperty("level").GetString() == "Warning").ToList();
        Assert.Equal(["catalog", "originals"], warnings.Select(w => w.GetProperty("properties").GetProperty("Service").GetString()).Order());
        Assert.All(warnings, w => Assert.Contains("no answer within 0.3 s", w.GetProperty("message").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Originals_ObjectChangedAnswer_CountsAsOpened()
    {
        // S3 may answer a conditional GET of a missing key with 412 instead of 404: either way the request went through.
        _store.FailReadsWith = new ObjectChangedException(ObjectKeys.Original(ConnectionPriming.NoImage));

        await ConnectionPriming.RunAsync([ConnectionPriming.Originals(_store)], Log, Budget);

        Assert.DoesNotContain(Lines, l => l.GetProperty("level").GetString() == "Warning");
        Assert.Equal("originals", Assert.Single(Lines).GetProperty("properties").GetProperty("Services").GetString());
    }
}
