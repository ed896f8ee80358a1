using ImagePipeline.Testing;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Tests;

/// <summary>The shared host-process fixture, plus this suite's API helper.</summary>
public sealed class LocalHost : LocalHostProcess, IAsyncLifetime
{
    public LocalHost() => Client = new HostClient(this);

    /// <summary>The API helper (uploads, polling).</summary>
    public HostClient Client { get; }

    public ValueTask InitializeAsync() => new(StartAsync());

    public override async ValueTask DisposeAsync()
    {
        // Tests read queue.db directly: close pooled connections so the data directory can be removed.
        SqliteConnection.ClearAllPools();
        await base.DisposeAsync();
    }
}

/// <summary>Tests that can share one host (they never kill it) run one after another on it.</summary>
[CollectionDefinition(Name)]
public sealed class SharedHostCollection : ICollectionFixture<LocalHost>
{
    public const string Name = "shared local host";
}
