using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace ImagePipeline.Cli;

/// <summary>
/// <c>imagepipeline reprocess ID… | --failed</c>: <c>POST /v1/images/{id}/reprocess</c> for each named image, or for every
/// image whose status is <c>failed</c> (all pages of <c>GET /v1/images</c>). The only way a recorded failure is retried.
/// </summary>
internal static class ReprocessCommand
{
    /// <summary>What the plain lines say in the status column of an image that was not queued again.</summary>
    public const string NotQueued = "not queued";

    // The largest page the API serves: --failed reads the whole catalog.
    private const int PageSize = 100;

    public static Command Create()
    {
        var ids = ClientOptions.ImageIdList("The images to reprocess (UUIDv7s, as upload and list print them); not with --failed.");
        var failed = new Option<bool>("--failed")
        {
            Description = "Reprocess every image whose status is failed (reads every page of GET /v1/images); not with IDs.",
        };
        var api = ClientOptions.Api();
        var json = ClientOptions.Json(
            "Print one JSON array on stdout, an element per image: {imageId, status|null, error|null}; status is the image's " +
            "status once queued again (processing), null when it was not; error is {code, message}: http_404 no such image, " +
            "http_409 nothing to reprocess (the API's detail says why: pending, still processing, or ready and made by the current recipe).");
        var command = new Command(
            "reprocess",
            "Run the failed (or outdated) stages of images again: the IDs named, or every failed image with --failed. " +
            "Exit codes: 0 every image queued again (with --failed: also when none has failed), 2 some could not be (404 unknown, " +
            "409 nothing to reprocess), 1 usage or connection errors (then stdout is empty with --json).")
        {
            ids, api, failed, json,
        };
        command.Validators.Add(result =>
        {
            // Tokens, not values: a malformed id has an error of its own, and no value to read. An option the parser does
            // not know arrives here as an ID token; it is reported as what it is.
            var tokens = result.GetResult(ids)?.Tokens ?? [];
            if (tokens.FirstOrDefault(t => t.Value.StartsWith('-')) is { } unknown)
            {
                result.AddError($"Unrecognized option '{ClientOptions.Clean(unknown.Value)}'.");
                return;
            }

            var named = tokens.Count > 0;
            var all = result.GetValue(failed);
            if (named && all)
            {
                result.AddError("Name image IDs or use --failed, not both.");
            }
            else if (!named && !all)
            {
                result.AddError("Name the images to reprocess (ID…), or use --failed to reprocess every failed image.");
            }
        });
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("reprocess", parse.GetValue(api)!, client => RunAsync(
            client, parse.GetValue(ids) ?? [], parse.GetValue(failed), parse.GetValue(json), cancellationToken), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ApiClient client, string[] ids, bool failedOnly, bool json, CancellationToken cancellationToken)
    {
        // Image id → file name, where known before asking (--failed lists them).
        var targets = new List<(string Id, string? FileName)>();
        if (failedOnly)
        {
            string? cursor = null;
            do
            {
                var (page, _) = await client.ListAsync(PageSize, cursor, cancellationToken);
                targets.AddRange(page.Items.Where(i => i.Status == "failed").Select(i => (i.Id, (string?)i.FileName)));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            if (targets.Count == 0)
            {
                if (json)
                {
                    await Console.Out.WriteLineAsync("[]");
                    await Console.Error.WriteLineAsync($"No failed images at {client.Display}: nothing to reprocess.");
                }
                else
                {
                    await Console.Out.WriteLineAsync($"No failed images at {client.Display}: nothing to reprocess.");
                }

                return ExitCodes.Success;
            }
        }
        else
        {
            targets.AddRange(ids.Select(id => (id, (string?)null)));
        }

        var terminal = !json && ClientOptions.IsTerminal;
        var outcomes = new List<ReprocessOutcome>();
        try
        {
            foreach (var (id, knownName) in targets)
            {
                ReprocessOutcome outcome;
                string? fileName = knownName;
                try
                {
                    var detail = await client.ReprocessAsync(id, cancellationToken);
                    fileName = detail.FileName;
                    outcome = new ReprocessOutcome(id, detail.Status, null);
                }
                catch (ApiProblemException e) when (IsAboutTheImage(e))
                {
                    outcome = new ReprocessOutcome(id, null, new ErrorInfo(e.Code, e.Message));
                    if (!json && fileName is null && e.Status == 409)
                    {
                        fileName = await FileNameAsync(client, id, cancellationToken);
                    }
                }

                outcomes.Add(outcome);
                if (!json)
                {
                    WriteLine(outcome, fileName, terminal);
                }
            }
        }
        catch (Exception e) when (e is ApiConnectionException or ApiProblemException)
        {
            // The connection broke (or the API refused the client itself): say which images were queued before that.
            var queued = outcomes.Where(o => o.Error is null).ToList();
            if (queued.Count > 0)
            {
                await Console.Error.WriteLineAsync($"imagepipeline reprocess: {queued.Count} image(s) were queued again before the error: " +
                    string.Join(", ", queued.Select(o => o.ImageId)));
            }

            throw;
        }

        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(outcomes, CliJsonContext.Default.ListReprocessOutcome));
        }

        var done = outcomes.Count(o => o.Error is null);
        var notDone = outcomes.Count - done;
        await Console.Error.WriteLineAsync(
            (failedOnly ? $"Found {outcomes.Count} failed image(s) at {client.Display}; queued {done} again" : $"Queued {done} of {outcomes.Count} image(s) again at {client.Display}") +
            (notDone > 0 ? $"; {notDone} not queued." : "."));
        return notDone == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }

    /// <summary>
    /// Whether a problem concerns this one image (404 unknown or deleted, 409 nothing to reprocess, 410, or a server
    /// error that survived the client's retries) rather than the client itself (400, 401, 403, 415: every image would
    /// get it too, so the command stops with exit code 1).
    /// </summary>
    private static bool IsAboutTheImage(ApiProblemException e) => e.Status is 404 or 409 or 410 or 429 or >= 500;

    /// <summary>The image's file name for the line of an image that was not queued; null when it cannot be had.</summary>
    private static async Task<string?> FileNameAsync(ApiClient client, string id, CancellationToken cancellationToken)
    {
        try
        {
            var (detail, _) = await client.GetImageAsync(id, cancellationToken);
            return detail.FileName;
        }
        catch (ApiProblemException)
        {
            return null;
        }
    }

    /// <summary>One plain line per image: id, status (or "not queued"), file name, and the reason when not queued.</summary>
    private static void WriteLine(ReprocessOutcome outcome, string? fileName, bool terminal)
    {
        var status = outcome.Status ?? NotQueued;
        var name = ClientOptions.Clean(fileName ?? "-");
        var reason = outcome.Error is { } e ? ClientOptions.Clean(e.Message) : "";
        if (terminal)
        {
            var markup = outcome.Error is null ? TextTable.StatusMarkup(status) : $"[red]{Markup.Escape(status)}[/]";
            var padding = new string(' ', Math.Max(0, NotQueued.Length - status.Length));
            AnsiConsole.MarkupLine($"{outcome.ImageId}  {markup}{padding}  {Markup.Escape(name)}" + (reason.Length > 0 ? $"  [grey]{Markup.Escape(reason)}[/]" : ""));
        }
        else
        {
            var line = $"{outcome.ImageId}  {status.PadRight(NotQueued.Length)}  {name}";
            Console.Out.WriteLine(reason.Length > 0 ? $"{line}  {reason}" : line);
        }
    }
}

/// <summary>
/// One element of <c>reprocess --json</c>: <c>{imageId, status|null, error|null}</c>; status is the image's status once
/// queued again, error <c>{code, message}</c> when it was not.
/// </summary>
internal sealed record ReprocessOutcome(string ImageId, string? Status, ErrorInfo? Error);
