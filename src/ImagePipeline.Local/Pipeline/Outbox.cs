using ImagePipeline.Core.Catalog;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Pipeline;

/// <summary>A queued stage event: the SQS message body it stands for, and how often it was received.</summary>
public sealed record OutboxMessage(long Id, Stage Stage, string Body, int Attempts)
{
    /// <summary>The other stage's row of the same event, due at the same time (when polled), or null.</summary>
    public long? SiblingId { get; init; }
}

/// <summary>
/// The durable fan-out of the embedded default: one row per (object-created event, stage), in SQLite beside the
/// catalog. A row is deleted only once its stage acknowledged it, so a crash at any point loses nothing: on start-up
/// every remaining row runs again. As with SQS, a receive is counted when it starts (so a process that dies mid-stage
/// has used the attempt), and given back when the host stops gracefully. An upload is staged before its original
/// becomes visible and activated after, so a crash between the two is found by looking at staged rows only.
/// </summary>
public sealed class Outbox
{
    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    public Outbox(string databasePath, TimeProvider clock)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
        _clock = clock;
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                stage TEXT NOT NULL,
                image_key TEXT NOT NULL,
                body TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                available_at INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                last_error TEXT);
            CREATE INDEX IF NOT EXISTS outbox_runnable ON outbox (available_at, id);
            CREATE INDEX IF NOT EXISTS outbox_image ON outbox (image_key);
            CREATE TABLE IF NOT EXISTS dead_letters (
                id INTEGER PRIMARY KEY,
                stage TEXT NOT NULL,
                image_key TEXT NOT NULL,
                body TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                last_error TEXT,
                dead_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS staged_uploads (
                image_key TEXT NOT NULL PRIMARY KEY,
                body TEXT NOT NULL,
                staged_at INTEGER NOT NULL);
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Raised with the stages that got rows, so their dispatchers wake without polling.</summary>
    public event Action<IReadOnlyList<Stage>>? Enqueued;

    /// <summary>Adds one row per stage for an object-created event, atomically.</summary>
    public async Task EnqueueAsync(string imageKey, string body, IReadOnlyList<Stage> stages, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await InsertRowsAsync(connection, transaction, imageKey, body, stages, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Enqueued?.Invoke(stages);
    }

    /// <summary>
    /// Records that an upload's bytes are durable and about to become visible, with the event it will announce: if
    /// the process dies before <see cref="ActivateAsync"/>, <see cref="StagedBeforeAsync"/> finds it.
    /// </summary>
    public async Task StageAsync(string imageKey, string body, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO staged_uploads (image_key, body, staged_at) VALUES ($key, $body, $now)";
        command.Parameters.AddWithValue("$key", imageKey);
        command.Parameters.AddWithValue("$body", body);
        command.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The upload is visible: its staged row becomes one row per stage, in one transaction.</summary>
    public async Task ActivateAsync(string imageKey, string body, IReadOnlyList<Stage> stages, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await DeleteStagedAsync(connection, transaction, imageKey, cancellationToken).ConfigureAwait(false);
        await InsertRowsAsync(connection, transaction, imageKey, body, stages, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Enqueued?.Invoke(stages);
    }

    /// <summary>Forgets a staged upload whose object never became visible (nothing was stored).</summary>
    public async Task DiscardStagedAsync(string imageKey, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await DeleteStagedAsync(connection, null, imageKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Staged uploads older than <paramref name="cutoff"/> (their upload finished or died long ago).</summary>
    public async Task<IReadOnlyList<(string ImageKey, string Body)>> StagedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT image_key, body FROM staged_uploads WHERE staged_at <= $cutoff ORDER BY staged_at";
        command.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        var staged = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            staged.Add((reader.GetString(0), reader.GetString(1)));
        }

        return staged;
    }

    private static async Task DeleteStagedAsync(SqliteConnection connection, SqliteTransaction? transaction, string imageKey, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM staged_uploads WHERE image_key = $key";
        command.Parameters.AddWithValue("$key", imageKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InsertRowsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string imageKey, string body, IReadOnlyList<Stage> stages, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var stage in stages)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO outbox (stage, image_key, body, available_at, created_at) VALUES ($stage, $key, $body, $now, $now)";
            command.Parameters.AddWithValue("$stage", stage.ToName());
            command.Parameters.AddWithValue("$key", imageKey);
            command.Parameters.AddWithValue("$body", body);
            command.Parameters.AddWithValue("$now", now);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Counts a receive of the row before it is worked on, as SQS does; the returned message carries the count,
    /// this receive included. A process that dies while working on it has used the attempt.
    /// </summary>
    public async Task<OutboxMessage> ReceiveAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE outbox SET attempts = attempts + 1 WHERE id = $id RETURNING attempts";
        command.Parameters.AddWithValue("$id", message.Id);
        var attempts = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return message with { Attempts = Convert.ToInt32(attempts ?? message.Attempts + 1, System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Gives back a receive that a graceful stop interrupted: stopping is not failing.</summary>
    public async Task ReleaseAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE outbox SET attempts = MAX(0, attempts - 1) WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rows of <paramref name="stage"/> due now, oldest first, skipping those already being worked on; each with the
    /// other stage's row of the same event when that is due too (<see cref="OutboxMessage.SiblingId"/>).
    /// </summary>
    public async Task<IReadOnlyList<OutboxMessage>> DueAsync(Stage stage, int max, IReadOnlySet<long> inFlight, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        // Each row comes with the other stage's row of the same event when that is due too, so both can run from one decode.
        command.CommandText = """
            SELECT o.id, o.body, o.attempts,
                   (SELECT s.id FROM outbox s
                    WHERE s.image_key = o.image_key AND s.stage <> o.stage AND s.body = o.body AND s.available_at <= $now
                    ORDER BY s.id LIMIT 1)
            FROM outbox o WHERE o.stage = $stage AND o.available_at <= $now ORDER BY o.available_at, o.id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$stage", stage.ToName());
        command.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", max + inFlight.Count);
        var due = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (due.Count < max && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt64(0);
            if (!inFlight.Contains(id))
            {
                due.Add(new OutboxMessage(id, stage, reader.GetString(1), reader.GetInt32(2)) { SiblingId = reader.IsDBNull(3) ? null : reader.GetInt64(3) });
            }
        }

        return due;
    }

    /// <summary>The stage is finished with the row.</summary>
    public async Task AcknowledgeAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM outbox WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a row whose receive failed due again after <paramref name="delay"/> (the receive was counted).</summary>
    public async Task RetryLaterAsync(long id, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE outbox SET available_at = $at, last_error = $error WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$at", (_clock.GetUtcNow() + delay).ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$error", error);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a row that exhausted its receives to the dead letters (the local DLQ).</summary>
    public async Task DeadLetterAsync(long id, string error, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var move = connection.CreateCommand())
        {
            move.Transaction = transaction;
            move.CommandText = """
                INSERT INTO dead_letters (id, stage, image_key, body, attempts, last_error, dead_at)
                SELECT id, stage, image_key, body, attempts, $error, $now FROM outbox WHERE id = $id;
                DELETE FROM outbox WHERE id = $id;
                """;
            move.Parameters.AddWithValue("$id", id);
            move.Parameters.AddWithValue("$error", error);
            move.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
            await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rows waiting, and dead letters, for health and tests.</summary>
    public async Task<(long Pending, long Dead)> CountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM dead_letters)";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
