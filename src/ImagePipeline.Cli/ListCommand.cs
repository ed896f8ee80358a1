using System.CommandLine;

namespace ImagePipeline.Cli;

/// <summary><c>imagepipeline list</c>: one page of <c>GET /v1/images</c>, newest first.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var api = ClientOptions.Api();
        var limit = ClientOptions.Number("--limit", "Images per page, 1 to 100.", 20, 1, 100);
        var cursor = new Option<string>("--cursor")
        {
            Description = "Start after the page that printed this cursor (the API's nextCursor, printed on stderr as 'more: …').",
            HelpName = "CURSOR",
        };
        var json = ClientOptions.Json("Print the API's page object verbatim: {items:[{id, fileName, status, createdAt, thumbnailUrl, placeholder}], nextCursor}.");
        var command = new Command(
            "list",
            "List images, newest first: id, file, status, created (UTC). Exit codes: 0 listed, 1 usage or connection errors (a cursor the API refuses is a usage error).")
        {
            api, limit, cursor, json,
        };
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("list", parse.GetValue(api)!, async client =>
        {
            var (page, text) = await client.ListAsync(parse.GetValue(limit), parse.GetValue(cursor), cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(text);
                return ExitCodes.Success;
            }

            var terminal = ClientOptions.IsTerminal;
            var table = Table(page);
            if (terminal && table.Count == 0)
            {
                await Console.Out.WriteLineAsync("No images.");
            }
            else
            {
                table.Write(terminal, (_, column, cell) => column == 2 ? TextTable.StatusMarkup(cell) : null);
            }

            if (page.NextCursor is { } next)
            {
                var size = parse.GetValue(limit);
                await Console.Error.WriteLineAsync($"more: imagepipeline list{(size != 20 ? $" --limit {size}" : "")} --cursor {next}");
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    /// <summary>The page as a table: id, file, status, created.</summary>
    public static TextTable Table(ImagePage page)
    {
        var table = new TextTable(("id", ColumnKind.Code), ("file", ColumnKind.Name), ("status", ColumnKind.Code), ("created", ColumnKind.Code));
        foreach (var item in page.Items)
        {
            table.Add(item.Id, item.FileName, item.Status, ClientOptions.Time(item.CreatedAt));
        }

        return table;
    }
}
