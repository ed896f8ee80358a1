using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Tests;

/// <summary>The host's durable outbox (<c>{data-dir}/queue.db</c>), read and written behind its back as a test needs.</summary>
internal static class QueueDb
{
    /// <summary>Adds a row exactly as the host's outbox does for an accepted upload, due now.</summary>
    public static async Task InsertAsync(LocalHost host, string stage, string imageKey, string body)
    {
        await using var connection = await OpenAsync(host);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO outbox (stage, image_key, body, available_at, created_at) VALUES ($stage, $key, $body, $now, $now)";
        command.Parameters.AddWithValue("$stage", stage);
        command.Parameters.AddWithValue("$key", imageKey);
        command.Parameters.AddWithValue("$body", body);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The outbox rows: stage and receive count.</summary>
    public static async Task<List<(string Stage, int Attempts)>> RowsAsync(LocalHost host)
    {
        await using var connection = await OpenAsync(host);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT stage, attempts FROM outbox ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<(string, int)>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return rows;
    }

    /// <summary>Rows waiting in the outbox, and dead letters.</summary>
    public static async Task<(long Outbox, long DeadLetters)> CountsAsync(LocalHost host)
    {
        await using var connection = await OpenAsync(host);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM dead_letters)";
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Waits until the dispatcher has taken every row off the outbox; fails with the host's output on timeout.</summary>
    public static async Task WaitUntilEmptyAsync(LocalHost host, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var (outbox, dead) = await CountsAsync(host);
            if (outbox == 0)
            {
                return;
            }

            if (stopwatch.Elapsed > timeout)
            {
                Assert.Fail($"The outbox still holds {outbox} row(s) ({dead} dead letters) after {timeout.TotalSeconds:0} s.{Environment.NewLine}{host.OutputTail()}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<SqliteConnection> OpenAsync(LocalHost host)
    {
        var path = Path.Combine(host.DataDirectory, "queue.db");
        Assert.True(File.Exists(path), $"{path} does not exist");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 30000";
        await pragma.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return connection;
    }
}
