using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ImagePipeline.Cli;

/// <summary>
/// <c>imagepipeline upload</c>: for each file, <c>POST /v1/uploads</c> then the presigned PUT with exactly the headers
/// it names, several files at once; with <c>--wait</c>, polls <c>GET /v1/images/{id}</c> until each is ready or failed.
/// </summary>
internal static class UploadCommand
{
    public const string Uploaded = "uploaded", Ready = "ready", Failed = "failed", Rejected = "rejected", TimedOut = "timed_out";

    // Polling backs off from the first to the last interval.
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250), LastPoll = TimeSpan.FromSeconds(2);

    // More files than this on a terminal: finished per-file bars are hidden so the display stays on screen.
    private const int MaxVisibleBars = 20;

    public static Command Create()
    {
        var inputs = new Argument<string[]>("files")
        {
            Description = "Image files, or folders to search recursively (hidden files and non-image extensions in folders are skipped).",
            Arity = ArgumentArity.OneOrMore,
        };
        var api = ClientOptions.Api();
        var wait = new Option<bool>("--wait") { Description = "After uploading, wait until each image is ready or failed (polls GET /v1/images/{id})." };
        var timeout = ClientOptions.Duration("--timeout", "With --wait: how long each image may take to become ready or failed after its upload [default: 10m].");
        var parallel = ClientOptions.Number("--parallel", "Files uploaded at once, 1 to 64.", 4, 1, 64);
        var json = ClientOptions.Json(
            "Print one JSON array on stdout, an element per file: {file, imageId|null, status, error|null}; status is uploaded, ready, " +
            "failed, rejected or timed_out; error is {code, message}: code is the image's error code when failed (corrupt_image…), " +
            "http_<status> when the API or storage refused the file (http_400, http_413, http_415…), unreadable when the file could " +
            "not be read, timeout when --wait ran out.");

        var command = new Command(
            "upload",
            "Upload photos to a deployment: each file ends uploaded (ready or failed with --wait), rejected, or timed_out. " +
            "Exit codes: 0 all uploaded (with --wait: all ready), 2 some rejected, failed or timed out, 1 usage or connection errors " +
            "(then stdout is empty).")
        {
            inputs, api, wait, timeout, parallel, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(inputs)!,
            parse.GetValue(api)!,
            parse.GetValue(wait),
            parse.GetValue(timeout) ?? TimeSpan.FromMinutes(10),
            parse.GetValue(parallel),
            parse.GetValue(json),
            cancellationToken));
        return command;
    }

    /// <summary>The media type declared for a file, from its extension; unknown ones are left to the API to refuse (415).</summary>
    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" or ".jpe" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".gif" => "image/gif",
        ".avif" => "image/avif",
        ".heic" or ".heif" or ".hif" => "image/heic",
        ".tif" or ".tiff" => "image/tiff",
        _ => "application/octet-stream",
    };

    private static async Task<int> RunAsync(string[] paths, Uri api, bool wait, TimeSpan timeout, int parallel, bool json, CancellationToken cancellationToken)
    {
        var (files, missing, skipped) = InputExpander.Expand(paths);
        if (missing.Count > 0)
        {
            await Console.Error.WriteLineAsync("imagepipeline upload: no such file or folder: " + string.Join(", ", missing));
            return ExitCodes.UsageOrConnection;
        }

        if (skipped > 0)
        {
            await Console.Error.WriteLineAsync(
                $"imagepipeline upload: skipped {skipped} file(s) in folders that are hidden or have no image extension (name them explicitly to upload them).");
        }

        if (files.Count == 0)
        {
            await Console.Error.WriteLineAsync("imagepipeline upload: the inputs contain no image files.");
            return ExitCodes.UsageOrConnection;
        }

        using var client = new ApiClient(api);
        var run = new UploadRun(client, [.. files.Select(f => new FileUpload(f))], wait, timeout, parallel, json);
        return await run.ExecuteAsync(cancellationToken);
    }

    /// <summary>The summary a terminal gets once every file has ended: file (folders elided), status, image id, reason.</summary>
    public static TextTable SummaryTable(IEnumerable<UploadOutcome> outcomes)
    {
        var table = new TextTable(("file", ColumnKind.Name), ("status", ColumnKind.Code), ("imageId", ColumnKind.Code), ("reason", ColumnKind.Text));
        foreach (var outcome in outcomes)
        {
            table.Add(TextTable.ShortPath(outcome.File), outcome.Status, outcome.ImageId ?? "-", outcome.Error is { } e ? $"{e.Code}: {e.Message}" : "");
        }

        return table;
    }

    /// <summary>Bytes sent of the total, or files done of the total for the processing bar.</summary>
    private sealed class AmountColumn : ProgressColumn
    {
        public const string CountsFiles = "files";

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var text = task.State.Get<bool>(CountsFiles)
                ? $"{(long)task.Value}/{(long)task.MaxValue} files"
                : $"{ClientOptions.Bytes((long)task.Value)}/{ClientOptions.Bytes((long)task.MaxValue)}";
            return new Markup($"[grey]{Markup.Escape(text)}[/]");
        }
    }

    /// <summary>One file's progress and outcome. Written by one task at a time: its upload, then the poller.</summary>
    private sealed class FileUpload(string file)
    {
        public string File { get; } = file;

        public string Name { get; } = Path.GetFileName(file);

        public long Length { get; set; }

        public string? ImageId { get; set; }

        /// <summary>Null while the upload runs; then uploaded, ready, failed, rejected or timed_out.</summary>
        public volatile string? Status;

        public ErrorInfo? Error { get; set; }

        public long WaitUntil { get; set; }

        public ProgressTask? Bar { get; set; }

        public bool IsFinal(bool wait) => Status is { } status && (!wait || status != Uploaded);

        public UploadOutcome Outcome() => new(File, ImageId, Status ?? Rejected, Error);

        public string Reason => Error is { } e ? $"{e.Code}: {e.Message}" : "";
    }

    private sealed class UploadRun(ApiClient client, FileUpload[] items, bool wait, TimeSpan timeout, int parallel, bool json)
    {
        private readonly bool _terminal = !json && ClientOptions.IsTerminal;
        private readonly Lock _lock = new();
        private ApiConnectionException? _fatal;
        private ProgressTask? _overall, _processing;
        private ProgressContext? _context;
        private long _sent;

        public async Task<int> ExecuteAsync(CancellationToken cancellationToken)
        {
            var stopwatch = Stopwatch.StartNew();
            using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                if (_terminal)
                {
                    await AnsiConsole.Progress()
                        .AutoClear(true)
                        .HideCompleted(items.Length > MaxVisibleBars)
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new AmountColumn())
                        .StartAsync(async context =>
                        {
                            _context = context;
                            _overall = context.AddTask($"[bold]Uploading {items.Length} file(s)[/]", maxValue: Math.Max(1, items.Sum(i => SafeLength(i.File))));
                            if (wait)
                            {
                                _processing = context.AddTask("[bold]Processing[/]", maxValue: items.Length);
                                _processing.State.Update<bool>(AmountColumn.CountsFiles, _ => true);
                            }

                            await RunAllAsync(abort);
                        });
                }
                else
                {
                    await RunAllAsync(abort);
                }
            }
            catch (OperationCanceledException) when (_fatal is not null || cancellationToken.IsCancellationRequested)
            {
            }

            if (_fatal is not null || cancellationToken.IsCancellationRequested)
            {
                var why = _fatal is not null ? ClientOptions.Clean(_fatal.Message) : "interrupted.";
                await Console.Error.WriteLineAsync("imagepipeline upload: " + why);
                var done = items.Where(i => i.Status is not null and not Rejected && i.ImageId is not null).ToList();
                if (done.Count > 0)
                {
                    await Console.Error.WriteLineAsync($"imagepipeline upload: {done.Count} file(s) were uploaded before that:");
                    foreach (var item in done)
                    {
                        await Console.Error.WriteLineAsync($"  {ClientOptions.Clean(item.File)} -> {item.ImageId}");
                    }
                }

                return _fatal is not null ? ExitCodes.UsageOrConnection : ExitCodes.Interrupted;
            }

            var outcomes = items.Select(i => i.Outcome()).ToList();
            if (json)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(outcomes, CliJsonContext.Default.ListUploadOutcome));
            }
            else if (_terminal)
            {
                SummaryTable(outcomes).Write(terminal: true, (_, column, cell) => column == 1 ? TextTable.StatusMarkup(cell) : null);
            }

            var expected = wait ? Ready : Uploaded;
            var counts = outcomes.GroupBy(o => o.Status).OrderBy(g => Array.IndexOf([Ready, Uploaded, Failed, Rejected, TimedOut], g.Key))
                .Select(g => $"{g.Count()} {g.Key.Replace('_', ' ')}");
            await Console.Error.WriteLineAsync(
                $"Uploaded {outcomes.Count(o => o.Status is Uploaded or Ready or Failed or TimedOut)} of {outcomes.Count} file(s) to {client.Display} in " +
                $"{stopwatch.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} s: {string.Join(", ", counts)}.");
            return outcomes.All(o => o.Status == expected) ? ExitCodes.Success : ExitCodes.SomeFailed;
        }

        private async Task RunAllAsync(CancellationTokenSource abort)
        {
            var uploads = Parallel.ForEachAsync(
                items,
                new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = abort.Token },
                (item, token) => new ValueTask(UploadOneAsync(item, abort, token)));
            var poller = wait ? PollAsync(uploads, abort) : Task.CompletedTask;
            try
            {
                await uploads;
            }
            finally
            {
                // The poller stops by itself once the uploads are over and nothing is left to wait for (or on abort).
                await poller;
            }
        }

        private async Task UploadOneAsync(FileUpload item, CancellationTokenSource abort, CancellationToken token)
        {
            long reported = 0;
            try
            {
                try
                {
                    item.Length = new FileInfo(item.File).Length;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Finish(item, Rejected, new ErrorInfo("unreadable", e.Message));
                    return;
                }

                if (_context is { } context)
                {
                    lock (_lock)
                    {
                        item.Bar = context.AddTask(Describe("uploading", item), maxValue: Math.Max(1, item.Length));
                    }
                }

                var created = await client.CreateUploadAsync(new UploadRequest(item.Name, ContentTypeOf(item.File), item.Length), token);
                item.ImageId = created.ImageId;
                await client.PutFileAsync(created.Upload, item.File, item.Length, sent =>
                {
                    item.Bar?.Value = sent;
                    if (_overall is { } overall)
                    {
                        overall.Value = Interlocked.Add(ref _sent, sent - reported);
                    }

                    reported = sent;
                }, token);
                item.WaitUntil = Environment.TickCount64 + (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 4);
                Finish(item, Uploaded, null);
            }
            catch (ApiProblemException e)
            {
                Finish(item, Rejected, new ErrorInfo(e.Code, e.Message));
            }
            catch (LocalFileException e)
            {
                Finish(item, Rejected, new ErrorInfo("unreadable", e.Message));
            }
            catch (ApiConnectionException e)
            {
                lock (_lock)
                {
                    _fatal ??= e;
                }

                await abort.CancelAsync();
            }
        }

        /// <summary>Polls every uploaded image until it is ready or failed or its time is up, until the uploads are over.</summary>
        private async Task PollAsync(Task uploads, CancellationTokenSource abort)
        {
            var interval = FirstPoll;
            var seen = new HashSet<FileUpload>();
            try
            {
                while (true)
                {
                    var uploadsOver = uploads.IsCompleted;
                    var waiting = items.Where(i => i.Status == Uploaded).ToList();
                    if (waiting.Count == 0 && uploadsOver)
                    {
                        return;
                    }

                    // A file that just finished uploading is looked at soon, however long the others have taken.
                    var fresh = false;
                    foreach (var item in waiting)
                    {
                        fresh |= seen.Add(item);
                    }

                    if (fresh)
                    {
                        interval = FirstPoll;
                    }

                    await Parallel.ForEachAsync(
                        waiting,
                        new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = abort.Token },
                        async (item, token) =>
                        {
                            try
                            {
                                var (detail, _) = await client.GetImageAsync(item.ImageId!, token);
                                switch (detail.Status)
                                {
                                    case "ready":
                                        Finish(item, Ready, null);
                                        return;
                                    case "failed":
                                        Finish(item, Failed, detail.Error ?? new ErrorInfo("internal", "The image failed without an error code."));
                                        return;
                                }
                            }
                            catch (ApiProblemException e) when (e.Status is 404 or 410)
                            {
                                // Deleted while we waited.
                                Finish(item, Failed, new ErrorInfo(e.Code, e.Message));
                                return;
                            }
                            catch (ApiProblemException)
                            {
                                // A 5xx: the service may recover before this image's time is up.
                            }

                            if (Environment.TickCount64 >= item.WaitUntil)
                            {
                                Finish(item, TimedOut, new ErrorInfo("timeout", $"still processing after {ClientOptions.FormatDuration(timeout)}."));
                            }
                        });

                    await Task.Delay(interval, abort.Token);
                    interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, LastPoll.Ticks));
                }
            }
            catch (ApiConnectionException e)
            {
                lock (_lock)
                {
                    _fatal ??= e;
                }

                await abort.CancelAsync();
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
            }
        }

        private void Finish(FileUpload item, string status, ErrorInfo? error)
        {
            item.Error = error;
            item.Status = status;
            if (_terminal)
            {
                lock (_lock)
                {
                    item.Bar ??= _context?.AddTask("", maxValue: 1);
                    if (item.Bar is { } bar)
                    {
                        bar.Description = Describe(status == Uploaded && wait ? "processing" : status, item);
                        if (status != Uploaded || !wait)
                        {
                            bar.Value = bar.MaxValue;
                            bar.StopTask();
                        }
                    }

                    if (status == Rejected)
                    {
                        _overall?.MaxValue = Math.Max(1, _overall.MaxValue - item.Length);
                    }

                    if (item.IsFinal(wait))
                    {
                        _processing?.Increment(1);
                    }
                }
            }
            else if (!json && item.IsFinal(wait))
            {
                // Plain lines, one per file as it ends: status, file, image id, reason.
                var line = $"{status.Replace('_', ' '),-9} {ClientOptions.Clean(item.File)}  {item.ImageId ?? "-"}";
                Console.Out.WriteLine(error is null ? line : $"{line}  {ClientOptions.Clean(item.Reason)}");
            }
        }

        private static string Describe(string state, FileUpload item)
        {
            var name = item.Name.Length <= 40 ? item.Name : item.Name[..37] + "…";
            var colour = state switch
            {
                Ready or Uploaded => "green",
                Failed or Rejected or TimedOut => "red",
                "processing" => "yellow",
                _ => "grey",
            };
            return $"[{colour}]{Markup.Escape(state.Replace('_', ' ').PadRight(10))}[/] {Markup.Escape(ClientOptions.Clean(name))}";
        }

        private static long SafeLength(string file)
        {
            try
            {
                return new FileInfo(file).Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }
    }
}

/// <summary>
/// One element of <c>upload --json</c>: <c>{file, imageId|null, status, error|null}</c>; status is uploaded, ready,
/// failed, rejected or timed_out, error <c>{code, message}</c>.
/// </summary>
internal sealed record UploadOutcome(string File, string? ImageId, string Status, ErrorInfo? Error);
