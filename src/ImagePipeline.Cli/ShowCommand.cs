using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace ImagePipeline.Cli;

/// <summary><c>imagepipeline show ID</c>: everything the API knows about one image.</summary>
internal static class ShowCommand
{
    public static Command Create()
    {
        var id = ClientOptions.ImageId();
        var api = ClientOptions.Api();
        var json = ClientOptions.Json("Print the API's image detail verbatim (GET /v1/images/{id}).");
        var command = new Command(
            "show",
            "Show an image: status, original, metadata, renditions, thumbnail, error. Exit codes: 0 shown, 2 no such image (404), 1 usage or connection errors.")
        {
            id, api, json,
        };
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("show", parse.GetValue(api)!, async client =>
        {
            var (detail, text) = await client.GetImageAsync(parse.GetValue(id)!, cancellationToken);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(text);
                return ExitCodes.Success;
            }

            var lines = Describe(detail);
            if (ClientOptions.IsTerminal)
            {
                var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
                foreach (var (label, value) in lines)
                {
                    var markup = label == "status" ? TextTable.StatusMarkup(value) : Markup.Escape(ClientOptions.Clean(value));
                    grid.AddRow(new Markup($"[bold]{Markup.Escape(label)}[/]"), new Markup(markup));
                }

                AnsiConsole.Write(grid);
            }
            else
            {
                var width = lines.Max(l => l.Label.Length) + 2;
                foreach (var (label, value) in lines)
                {
                    await Console.Out.WriteLineAsync(label.PadRight(width) + ClientOptions.Clean(value));
                }
            }

            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    /// <summary>The detail as labelled lines; absent facts are left out.</summary>
    public static List<(string Label, string Value)> Describe(ImageDetail d)
    {
        var lines = new List<(string, string)>
        {
            ("id", d.Id),
            ("file", d.FileName),
            ("status", d.Status),
            ("type", d.ContentType),
            ("created", ClientOptions.Time(d.CreatedAt)),
            ("updated", ClientOptions.Time(d.UpdatedAt)),
        };
        if (d.Error is { } error)
        {
            lines.Add(("error", $"{error.Code}: {error.Message}"));
        }

        if (d.Original is { } o)
        {
            lines.Add(("original", $"{o.Format} {Size(o.Width, o.Height)}, {ClientOptions.Bytes(o.Bytes)}"));
        }

        if (d.Metadata is { } m)
        {
            var camera = string.Join(' ', new[] { m.CameraMake, m.CameraModel }.Where(s => !string.IsNullOrWhiteSpace(s)));
            Add(lines, "camera", camera);
            Add(lines, "lens", m.LensModel);
            Add(lines, "taken", m.TakenAt);
            var exposure = new List<string>();
            if (m.ExposureTime is { } t)
            {
                exposure.Add(t + " s");
            }

            if (m.FNumber is { } f)
            {
                exposure.Add("f/" + f.ToString("0.#", CultureInfo.InvariantCulture));
            }

            if (m.Iso is { } iso)
            {
                exposure.Add("ISO " + iso.ToString(CultureInfo.InvariantCulture));
            }

            if (m.FocalLength is { } focal)
            {
                exposure.Add(focal.ToString("0.#", CultureInfo.InvariantCulture) + " mm");
            }

            Add(lines, "exposure", string.Join(", ", exposure));
            if (m.Gps is { } gps)
            {
                Add(lines, "gps", string.Create(CultureInfo.InvariantCulture, $"{gps.Latitude:0.######}, {gps.Longitude:0.######}")
                    + (gps.Altitude is { } alt ? string.Create(CultureInfo.InvariantCulture, $", {alt:0.#} m") : ""));
            }
        }

        foreach (var r in d.Renditions)
        {
            lines.Add((r.Name, $"{r.Format} {Size(r.Width, r.Height)}, {ClientOptions.Bytes(r.Bytes)}"));
        }

        if (d.Thumbnail is { } th)
        {
            lines.Add(("thumbnail", $"{th.Format} {Size(th.Width, th.Height)}, {ClientOptions.Bytes(th.Bytes)}"));
        }

        return lines;
    }

    private static void Add(List<(string, string)> lines, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            lines.Add((label, value));
        }
    }

    private static string Size(int width, int height) => string.Create(CultureInfo.InvariantCulture, $"{width}x{height}");
}
