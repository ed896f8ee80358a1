using ImagePipeline.Testing;
using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Local.Catalog;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Contract.Tests.Local;

/// <summary>The catalog contract on SQLite, plus what only a file-backed catalog has to show.</summary>
public sealed class SqliteImageCatalogTests : ImageCatalogContract, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteImageCatalog> _catalogs = [];

    protected override Task<IImageCatalog> CreateCatalogAsync() => Task.FromResult<IImageCatalog>(Open($"catalog-{_catalogs.Count}.db"));

    [Fact]
    public async Task Constructor_ExistingDatabase_ReopensWithItsRecords()
    {
        var record = NewRecord(T0);
        var first = Open("catalog.db");
        await first.CreateAsync(record, Ct);
        await first.ApplyStageAsync(Done(record.Id, Stage.Resize), Ct);
        first.Dispose();

        var reopened = Open("catalog.db");

        var stored = await reopened.GetAsync(record.Id, Ct);
        Assert.NotNull(stored);
        Assert.Equal(StageState.Done, stored.ResizeState);
        Assert.Single((await reopened.ListAsync(Owner, 10, null, Ct)).Items);
    }

    [Fact]
    public async Task Constructor_MissingFolders_CreatesThemAndAWalDatabase()
    {
        var catalog = Open(Path.Combine("a", "b", "catalog.db"));
        await catalog.CreateAsync(NewRecord(T0), Ct);

        Assert.True(File.Exists(catalog.DatabasePath));
        Assert.Equal("wal", Scalar(catalog, "PRAGMA journal_mode"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListQuery_EitherPage_IsServedByTheOwnerIndex(bool withPosition)
    {
        var catalog = Open("catalog.db");
        var where = withPosition ? "AND (created_at, id) < (1, 'x')" : "";

        var plan = Scalar(catalog, $"""
            EXPLAIN QUERY PLAN SELECT id FROM images WHERE owner_id = 'local' AND deleted_at IS NULL {where}
            ORDER BY created_at DESC, id DESC LIMIT 51
            """, column: 3);

        Assert.Contains("images_by_owner", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var catalog in _catalogs)
        {
            catalog.Dispose();
        }

        _directory.Dispose();
    }

    private SqliteImageCatalog Open(string relativePath)
    {
        var catalog = new SqliteImageCatalog(_directory.Combine(relativePath));
        _catalogs.Add(catalog);
        return catalog;
    }

    private static string Scalar(SqliteImageCatalog catalog, string sql, int column = 0)
    {
        using var connection = new SqliteConnection($"Data Source={catalog.DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetValue(column).ToString()!);
        }

        return string.Join('\n', lines);
    }
}
