using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// The completion signal of pipeline mode: tails the host's stdout log and notes, per image, when each stage logged
/// its result ("Stage resize done image … in 812 ms, …"). The host writes that line after the stage's catalog write,
/// so once both stages of an image have logged, <c>GET /v1/images/{id}</c> already answers ready: waiting for the line
/// instead of polling the API measures the pipeline, not a poll interval, and costs the host no CPU. Woken by inotify
/// (<see cref="FileSystemWatcher"/>) with a short fallback interval, so a line is seen within a millisecond or two.
/// </summary>
internal sealed partial class HostLogWatcher : IDisposable
{
    private static readonly TimeSpan FallbackInterval = TimeSpan.FromMilliseconds(20);

    private readonly string _path;
    private readonly FileSystemWatcher? _watcher;
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ImageLog> _images = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TaskCompletionSource<long>> _waiters = new(StringComparer.OrdinalIgnoreCase);
    private int _completed;

    public HostLogWatcher(string path)
    {
        _path = Path.GetFullPath(path);
        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Changed += (_, _) => _changed.Release();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify unavailable (limit reached): the fallback interval alone still finds every line.
            _watcher?.Dispose();
            _watcher = null;
        }

        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Images whose two stages have both logged a result.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Raised (on the reader's thread) each time an image's second stage result is read.</summary>
    public event Action? ImageCompleted;

    /// <summary>When both stages of <paramref name="imageId"/> had logged a result (Stopwatch timestamp), or null.</summary>
    public long? CompletedAt(string imageId)
    {
        lock (_gate)
        {
            return _images.TryGetValue(imageId, out var image) && image.CompletedAt != 0 ? image.CompletedAt : null;
        }
    }

    /// <summary>The in-stage times the host logged for <paramref name="imageId"/> (resize, thumbnail; NaN when not yet).</summary>
    public (double ResizeMs, double ThumbnailMs) StageTimes(string imageId)
    {
        lock (_gate)
        {
            return _images.TryGetValue(imageId, out var image) ? (image.ResizeMs, image.ThumbnailMs) : (double.NaN, double.NaN);
        }
    }

    /// <summary>Completes (with the Stopwatch timestamp the second stage line was read) once both stages have logged.</summary>
    public Task<long> WaitAsync(string imageId)
    {
        lock (_gate)
        {
            if (_images.TryGetValue(imageId, out var image) && image.CompletedAt != 0)
            {
                return Task.FromResult(image.CompletedAt);
            }

            if (!_waiters.TryGetValue(imageId, out var waiter))
            {
                _waiters[imageId] = waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return waiter.Task;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _watcher?.Dispose();
        try
        {
            _reader.Wait();
        }
        catch (AggregateException)
        {
            // The reader only ends by cancellation.
        }

        _stop.Dispose();
        _changed.Dispose();
    }

    private async Task ReadAsync()
    {
        var pending = new StringBuilder();
        var buffer = new byte[1 << 16];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        FileStream? stream = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                stream ??= TryOpen();
                var read = 0;
                if (stream is not null)
                {
                    while ((read = await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
                    {
                        var seenAt = Stopwatch.GetTimestamp();
                        var count = decoder.GetChars(buffer, 0, read, chars, 0);
                        pending.Append(chars, 0, count);
                        Consume(pending, seenAt);
                    }
                }

                try
                {
                    await _changed.WaitAsync(FallbackInterval, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private FileStream? TryOpen()
    {
        try
        {
            return new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private void Consume(StringBuilder pending, long seenAt)
    {
        var text = pending.ToString();
        var end = text.LastIndexOf('\n');
        if (end < 0)
        {
            return;
        }

        pending.Remove(0, end + 1);
        foreach (var line in text.AsSpan(0, end).EnumerateLines())
        {
            var match = StageLine().Match(line.ToString());
            if (!match.Success || match.Groups["outcome"].Value == "retry")
            {
                continue;
            }

            Note(match.Groups["id"].Value, match.Groups["stage"].Value, double.Parse(match.Groups["ms"].Value, System.Globalization.CultureInfo.InvariantCulture), seenAt);
        }
    }

    private void Note(string imageId, string stage, double ms, long seenAt)
    {
        TaskCompletionSource<long>? waiter = null;
        var completedNow = false;
        lock (_gate)
        {
            if (!_images.TryGetValue(imageId, out var image))
            {
                _images[imageId] = image = new ImageLog();
            }

            if (stage == "resize" && double.IsNaN(image.ResizeMs))
            {
                image.ResizeMs = ms;
            }
            else if (stage == "thumbnail" && double.IsNaN(image.ThumbnailMs))
            {
                image.ThumbnailMs = ms;
            }

            if (image.CompletedAt == 0 && !double.IsNaN(image.ResizeMs) && !double.IsNaN(image.ThumbnailMs))
            {
                image.CompletedAt = seenAt;
                completedNow = true;
                Interlocked.Increment(ref _completed);
                if (_waiters.Remove(imageId, out var found))
                {
                    waiter = found;
                }
            }
        }

        waiter?.TrySetResult(seenAt);
        if (completedNow)
        {
            ImageCompleted?.Invoke();
        }
    }

    // "Stage resize done image 0193… in 812 ms, 123456 bytes, attempt 1: Recorded." or, for a failure,
    // "Stage resize failed image 0193… with corrupt_image in 812 ms, attempt 1: …".
    [GeneratedRegex(@"Stage (?<stage>\S+) (?<outcome>\S+) image (?<id>[0-9a-fA-F-]{36}) (?:with \S+ )?in (?<ms>\d+) ms", RegexOptions.CultureInvariant)]
    private static partial Regex StageLine();

    private sealed class ImageLog
    {
        public double ResizeMs { get; set; } = double.NaN;

        public double ThumbnailMs { get; set; } = double.NaN;

        public long CompletedAt { get; set; }
    }
}
