using System.CommandLine;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ImagePipeline.Cli;

/// <summary>
/// <c>imagepipeline watch</c>: the most recent images, refreshed every interval until Ctrl+C. A live table on a
/// terminal; otherwise a snapshot of plain lines every interval.
/// </summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var api = ClientOptions.Api();
        var limit = ClientOptions.Number("--limit", "How many of the most recent images to show, 1 to 100.", 20, 1, 100);
        var interval = ClientOptions.Duration("--interval", "Time between refreshes [default: 2s].");
        var command = new Command(
            "watch",
            "Watch the most recent images and their status until Ctrl+C: a live table on a terminal, otherwise a snapshot of plain lines " +
            "every interval (a line '<time>  <n> image(s) at <url>', the table's header and rows, then an empty line). " +
            "Exit codes: 0 stopped with Ctrl+C, 1 usage or connection errors on the first refresh (later ones are shown and retried), or a 401 at any refresh (sign in again: run imagepipeline login).")
        {
            api, limit, interval,
        };
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("watch", parse.GetValue(api)!, client => RunAsync(
            client, parse.GetValue(limit), parse.GetValue(interval) ?? TimeSpan.FromSeconds(2), cancellationToken), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ApiClient client, int limit, TimeSpan interval, CancellationToken cancellationToken)
    {
        // The first page decides whether the API is there at all: its errors end the command (exit 1 or 2).
        ImagePage page;
        try
        {
            (page, _) = await client.ListAsync(limit, null, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }

        try
        {
            if (ClientOptions.IsTerminal)
            {
                await AnsiConsole.Live(Render(client, page, null))
                    .AutoClear(false)
                    .Overflow(VerticalOverflow.Ellipsis)
                    .StartAsync(async context =>
                    {
                        while (true)
                        {
                            await Task.Delay(interval, cancellationToken);
                            var (next, error) = await TryListAsync(client, limit, cancellationToken);
                            page = next ?? page;
                            context.UpdateTarget(Render(client, page, error));
                            context.Refresh();
                        }
                    });
                return ExitCodes.Success;
            }
            else
            {
                await WriteSnapshotAsync(client, page, null);
                while (true)
                {
                    await Task.Delay(interval, cancellationToken);
                    var (next, error) = await TryListAsync(client, limit, cancellationToken);
                    await WriteSnapshotAsync(client, next ?? page, error);
                    page = next ?? page;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how watch ends.
            return ExitCodes.Success;
        }
    }

    private static async Task<(ImagePage? Page, string? Error)> TryListAsync(ApiClient client, int limit, CancellationToken cancellationToken)
    {
        try
        {
            var (page, _) = await client.ListAsync(limit, null, cancellationToken);
            return (page, null);
        }
        catch (Exception e) when (e is ApiConnectionException or ApiProblemException && e is not ApiSignInException)
        {
            // A refused sign-in does not mend itself: it ends the command like a first failure (exit 1, "run imagepipeline login").
            return (null, ClientOptions.Clause(e.Message) + " (retrying)");
        }
    }

    private static IRenderable Render(ApiClient client, ImagePage page, string? error)
    {
        var title = new Markup(
            $"[bold]{Markup.Escape(ClientOptions.Time(DateTimeOffset.UtcNow))}[/]  {page.Items.Count} image(s) at {Markup.Escape(client.Display)}  [grey](Ctrl+C to stop)[/]");
        var table = ListCommand.Table(page).ToSpectre(AnsiConsole.Profile.Width, (_, column, cell) => column == 2 ? TextTable.StatusMarkup(cell) : null);
        return error is null
            ? new Rows(title, table)
            : new Rows(title, new Markup($"[red]{Markup.Escape(ClientOptions.Clean(error))}[/]"), table);
    }

    private static async Task WriteSnapshotAsync(ApiClient client, ImagePage page, string? error)
    {
        var text = $"{ClientOptions.Time(DateTimeOffset.UtcNow)}  {page.Items.Count} image(s) at {client.Display}\n";
        if (error is not null)
        {
            text += "error: " + ClientOptions.Clean(error) + "\n";
        }

        text += ListCommand.Table(page).ToPlainText() + "\n";
        await Console.Out.WriteAsync(text);
        await Console.Out.FlushAsync();
    }
}
