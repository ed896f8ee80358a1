using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Catalog;

/// <summary>
/// The catalog in one SQLite file (WAL). Every write is a single conditional statement, so concurrent stages never
/// overwrite each other's attributes; each operation takes a connection from Microsoft.Data.Sqlite's pool, which makes
/// the class safe to share between threads. Timestamps are stored as UTC ticks (exact ordering, ties broken by id).
/// </summary>
public sealed class SqliteImageCatalog : IImageCatalog, IDisposable
{
    private const int SchemaVersion = 2;
    private const int SqliteBusy = 5, SqliteLocked = 6;
    private const int AttemptsWhenUnclassified = 3;

    // Per connection (busy_timeout and synchronous are not stored in the file). FULL: a committed stage result survives a
    // power cut too, not only a crash of the process.
    private const string ConnectionPragmas = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;";

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS images (
            id              TEXT    NOT NULL PRIMARY KEY,
            owner_id        TEXT    NOT NULL,
            file_name       TEXT    NOT NULL,
            content_type    TEXT    NOT NULL,
            declared_bytes  INTEGER NOT NULL,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            expires_at      INTEGER,
            deleted_at      INTEGER,
            source_etag     TEXT,
            original        TEXT,
            metadata        TEXT,
            resize_state    TEXT    NOT NULL CHECK (resize_state IN ('pending', 'done', 'failed')),
            renditions      TEXT,
            resize_error    TEXT,
            thumbnail_state TEXT    NOT NULL CHECK (thumbnail_state IN ('pending', 'done', 'failed')),
            thumbnail       TEXT,
            thumbnail_error TEXT,
            resize_recipe   INTEGER,
            thumbnail_recipe INTEGER
        ) STRICT;
        CREATE INDEX IF NOT EXISTS images_by_owner ON images (owner_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
        CREATE INDEX IF NOT EXISTS images_by_expiry ON images (expires_at) WHERE expires_at IS NOT NULL;
        """;

    private const string Columns = """
        id, owner_id, file_name, content_type, declared_bytes, created_at, updated_at, expires_at, deleted_at,
        source_etag, original, metadata, resize_state, renditions, resize_error, thumbnail_state, thumbnail, thumbnail_error,
        resize_recipe, thumbnail_recipe
        """;

    private const string InsertSql = $"""
        INSERT INTO images ({Columns})
        VALUES (@id, @owner_id, @file_name, @content_type, @declared_bytes, @created_at, @updated_at, @expires_at, @deleted_at,
                @source_etag, @original, @metadata, @resize_state, @renditions, @resize_error, @thumbnail_state, @thumbnail, @thumbnail_error,
                @resize_recipe, @thumbnail_recipe)
        ON CONFLICT (id) DO NOTHING
        """;

    private const string GetSql = $"SELECT {Columns} FROM images WHERE id = @id";

    private const string ListFirstSql = $"""
        SELECT {Columns} FROM images
        WHERE owner_id = @owner_id AND deleted_at IS NULL
        ORDER BY created_at DESC, id DESC
        LIMIT @take
        """;

    private const string ListAfterSql = $"""
        SELECT {Columns} FROM images
        WHERE owner_id = @owner_id AND deleted_at IS NULL AND (created_at, id) < (@after_created_at, @after_id)
        ORDER BY created_at DESC, id DESC
        LIMIT @take
        """;

    private const string MarkDeletedSql =
        "UPDATE images SET deleted_at = @deleted_at, expires_at = @expires_at WHERE id = @id AND deleted_at IS NULL";

    // Only records whose upload never landed, or tombstones: a stored original's record is never purged.
    private const string PurgeSql = "DELETE FROM images WHERE expires_at <= @now AND (source_etag IS NULL OR deleted_at IS NOT NULL)";

    private const string ResetResizeSql = """
        UPDATE images SET resize_state = 'pending', resize_error = NULL, updated_at = @at
        WHERE id = @id AND deleted_at IS NULL AND resize_state = 'failed' AND updated_at = @read
        """;

    private const string ResetThumbnailSql = """
        UPDATE images SET thumbnail_state = 'pending', thumbnail_error = NULL, updated_at = @at
        WHERE id = @id AND deleted_at IS NULL AND thumbnail_state = 'failed' AND updated_at = @read
        """;

    private static readonly string ResizeUpdateSql = StageUpdateSql("resize_state", "renditions", "resize_error", "resize_recipe");
    private static readonly string ThumbnailUpdateSql = StageUpdateSql("thumbnail_state", "thumbnail", "thumbnail_error", "thumbnail_recipe");
    private static readonly string ResizeClassifySql = StageClassifySql("resize_state", "resize_recipe");
    private static readonly string ThumbnailClassifySql = StageClassifySql("thumbnail_state", "thumbnail_recipe");

    private readonly string _connectionString;

    /// <summary>Opens (creating if needed) the database at <paramref name="databasePath"/> and ensures the schema.</summary>
    public SqliteImageCatalog(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            command.ExecuteNonQuery();
            command.CommandText = "PRAGMA user_version";
            var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The catalog at '{DatabasePath}' has schema version {version}; this build understands up to {SchemaVersion}.");
            }

            command.CommandText = Schema;
            command.ExecuteNonQuery();
            if (version == 1)
            {
                // Version 2 records the recipe version of each stage's result; older results read as version 1.
                command.CommandText = "ALTER TABLE images ADD COLUMN resize_recipe INTEGER; ALTER TABLE images ADD COLUMN thumbnail_recipe INTEGER;";
                command.ExecuteNonQuery();
            }

            command.CommandText = $"PRAGMA user_version = {SchemaVersion};";
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (IsTransient(e))
        {
            throw new TransientStorageException($"The catalog at '{DatabasePath}' is busy.", e);
        }
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = InsertSql;
            var p = command.Parameters;
            p.AddWithValue("@id", ImageIds.Format(record.Id));
            p.AddWithValue("@owner_id", record.OwnerId);
            p.AddWithValue("@file_name", record.FileName);
            p.AddWithValue("@content_type", record.ContentType);
            p.AddWithValue("@declared_bytes", record.DeclaredBytes);
            p.AddWithValue("@created_at", record.CreatedAt.UtcTicks);
            p.AddWithValue("@updated_at", record.UpdatedAt.UtcTicks);
            p.AddWithValue("@expires_at", Ticks(record.ExpiresAt));
            p.AddWithValue("@deleted_at", Ticks(record.DeletedAt));
            p.AddWithValue("@source_etag", (object?)record.SourceEtag ?? DBNull.Value);
            p.AddWithValue("@original", Json(record.Original, CatalogJsonContext.Default.OriginalFacts));
            p.AddWithValue("@metadata", Json(record.Metadata, CatalogJsonContext.Default.ImageMetadata));
            p.AddWithValue("@resize_state", record.ResizeState.ToName());
            p.AddWithValue("@renditions", Json(record.Renditions, CatalogJsonContext.Default.IReadOnlyListDerivedFacts));
            p.AddWithValue("@resize_error", Json(record.ResizeError, CatalogJsonContext.Default.StageError));
            p.AddWithValue("@thumbnail_state", record.ThumbnailState.ToName());
            p.AddWithValue("@thumbnail", Json(record.Thumbnail, CatalogJsonContext.Default.DerivedFacts));
            p.AddWithValue("@thumbnail_error", Json(record.ThumbnailError, CatalogJsonContext.Default.StageError));
            p.AddWithValue("@resize_recipe", (object?)record.ResizeRecipeVersion ?? DBNull.Value);
            p.AddWithValue("@thumbnail_recipe", (object?)record.ThumbnailRecipeVersion ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = GetSql;
            command.Parameters.AddWithValue("@id", ImageIds.Format(id));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRecord(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.State == StageState.Pending)
        {
            throw new ArgumentException("A stage result is done or failed, never pending.", nameof(outcome));
        }

        ArgumentException.ThrowIfNullOrEmpty(outcome.SourceEtag, nameof(outcome));
        var resize = outcome.Stage == Stage.Resize;
        var outputs = resize
            ? Json(outcome.Renditions, CatalogJsonContext.Default.IReadOnlyListDerivedFacts)
            : Json(outcome.Thumbnail, CatalogJsonContext.Default.DerivedFacts);

        return RunAsync(async connection =>
        {
            for (var attempt = 1; ; attempt++)
            {
                // The write: one conditional UPDATE touching only this stage's columns and the set-once source facts.
                using (var update = connection.CreateCommand())
                {
                    update.CommandText = resize ? ResizeUpdateSql : ThumbnailUpdateSql;
                    var p = update.Parameters;
                    p.AddWithValue("@id", ImageIds.Format(outcome.ImageId));
                    p.AddWithValue("@etag", outcome.SourceEtag);
                    p.AddWithValue("@state", outcome.State.ToName());
                    p.AddWithValue("@outputs", outputs);
                    p.AddWithValue("@error", Json(outcome.Error, CatalogJsonContext.Default.StageError));
                    p.AddWithValue("@at", outcome.At.UtcTicks);
                    p.AddWithValue("@original", Json(outcome.Original, CatalogJsonContext.Default.OriginalFacts));
                    p.AddWithValue("@metadata", Json(outcome.Metadata, CatalogJsonContext.Default.ImageMetadata));
                    p.AddWithValue("@recipe", outcome.RecipeVersion);
                    if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                    {
                        return StageWriteResult.Applied;
                    }
                }

                // Not written: a read (not part of the write) says which condition failed. Each condition, once false,
                // stays false (deletion, a set etag and a done stage are never undone), so this read explains the miss.
                using var classify = connection.CreateCommand();
                classify.CommandText = resize ? ResizeClassifySql : ThumbnailClassifySql;
                classify.Parameters.AddWithValue("@id", ImageIds.Format(outcome.ImageId));
                using var reader = await classify.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return StageWriteResult.Unknown;
                }

                if (!reader.IsDBNull(0))
                {
                    return StageWriteResult.Deleted;
                }

                if (!reader.IsDBNull(1) && reader.GetString(1) != outcome.SourceEtag)
                {
                    return StageWriteResult.Stale;
                }

                if (reader.GetString(2) == "done"
                    && (outcome.State == StageState.Failed || (reader.IsDBNull(3) ? 1 : reader.GetInt64(3)) >= outcome.RecipeVersion))
                {
                    return StageWriteResult.AlreadyDone;
                }

                if (attempt == AttemptsWhenUnclassified)
                {
                    throw new TransientStorageException($"The stage write of image {ImageIds.Format(outcome.ImageId)} was refused for no visible reason.");
                }
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = stage == Stage.Resize ? ResetResizeSql : ResetThumbnailSql;
            command.Parameters.AddWithValue("@id", ImageIds.Format(id));
            command.Parameters.AddWithValue("@at", at.UtcTicks);
            command.Parameters.AddWithValue("@read", readUpdatedAt.UtcTicks);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = after is null ? ListFirstSql : ListAfterSql;
            command.Parameters.AddWithValue("@owner_id", ownerId);
            command.Parameters.AddWithValue("@take", (long)limit + 1);
            if (after is not null)
            {
                command.Parameters.AddWithValue("@after_created_at", after.CreatedAt.UtcTicks);
                command.Parameters.AddWithValue("@after_id", ImageIds.Format(after.Id));
            }

            var items = new List<ImageRecord>(Math.Min(limit, 1000) + 1);
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    items.Add(ReadRecord(reader));
                }
            }

            if (items.Count <= limit)
            {
                return new CatalogPage(items, null);
            }

            items.RemoveAt(limit);
            var last = items[^1];
            return new CatalogPage(items, new CatalogPosition(last.CreatedAt, last.Id));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = MarkDeletedSql;
            command.Parameters.AddWithValue("@id", ImageIds.Format(id));
            command.Parameters.AddWithValue("@deleted_at", deletedAt.UtcTicks);
            command.Parameters.AddWithValue("@expires_at", expiresAt.UtcTicks);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = PurgeSql;
            command.Parameters.AddWithValue("@now", now.UtcTicks);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Closes the pooled connections to the file (so it can be moved or deleted).</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    // A done result may replace a done stage of an older recipe (an upgrade); a failure never replaces a done stage.
    private static string StageUpdateSql(string state, string outputs, string error, string recipe) => $"""
        UPDATE images SET
            {state} = @state,
            {outputs} = @outputs,
            {error} = @error,
            {recipe} = @recipe,
            updated_at = @at,
            source_etag = COALESCE(source_etag, @etag),
            original = COALESCE(original, @original),
            metadata = COALESCE(metadata, @metadata),
            expires_at = NULL
        WHERE id = @id
          AND deleted_at IS NULL
          AND (source_etag IS NULL OR source_etag = @etag)
          AND ({state} <> 'done' OR (@state = 'done' AND COALESCE({recipe}, 1) < @recipe))
        """;

    private static string StageClassifySql(string state, string recipe) =>
        $"SELECT deleted_at, source_etag, {state}, {recipe} FROM images WHERE id = @id";

    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var connection = new SqliteConnection(_connectionString);
            await using (connection.ConfigureAwait(false))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                using (var pragmas = connection.CreateCommand())
                {
                    pragmas.CommandText = ConnectionPragmas;
                    await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return await operation(connection).ConfigureAwait(false);
            }
        }
        catch (SqliteException e) when (IsTransient(e))
        {
            throw new TransientStorageException($"The catalog is busy: {e.Message}", e);
        }
    }

    private static bool IsTransient(SqliteException e) => (e.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked;

    private static object Ticks(DateTimeOffset? value) => value is { } v ? v.UtcTicks : DBNull.Value;

    private static object Json<T>(T? value, JsonTypeInfo<T> type) where T : class =>
        value is null ? DBNull.Value : JsonSerializer.Serialize(value, type);

    private static T? FromJson<T>(SqliteDataReader reader, int ordinal, JsonTypeInfo<T> type) where T : class =>
        reader.IsDBNull(ordinal) ? null : JsonSerializer.Deserialize(reader.GetString(ordinal), type);

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static DateTimeOffset? Time(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Time(reader.GetInt64(ordinal));

    private static ImageRecord ReadRecord(SqliteDataReader r) => new()
    {
        Id = Guid.ParseExact(r.GetString(0), "D"),
        OwnerId = r.GetString(1),
        FileName = r.GetString(2),
        ContentType = r.GetString(3),
        DeclaredBytes = r.GetInt64(4),
        CreatedAt = Time(r.GetInt64(5)),
        UpdatedAt = Time(r.GetInt64(6)),
        ExpiresAt = Time(r, 7),
        DeletedAt = Time(r, 8),
        SourceEtag = r.IsDBNull(9) ? null : r.GetString(9),
        Original = FromJson(r, 10, CatalogJsonContext.Default.OriginalFacts),
        Metadata = FromJson(r, 11, CatalogJsonContext.Default.ImageMetadata),
        ResizeState = CatalogNames.ParseState(r.GetString(12)),
        Renditions = FromJson(r, 13, CatalogJsonContext.Default.IReadOnlyListDerivedFacts),
        ResizeError = FromJson(r, 14, CatalogJsonContext.Default.StageError),
        ThumbnailState = CatalogNames.ParseState(r.GetString(15)),
        Thumbnail = FromJson(r, 16, CatalogJsonContext.Default.DerivedFacts),
        ThumbnailError = FromJson(r, 17, CatalogJsonContext.Default.StageError),
        ResizeRecipeVersion = r.IsDBNull(18) ? null : r.GetInt32(18),
        ThumbnailRecipeVersion = r.IsDBNull(19) ? null : r.GetInt32(19),
    };
}
