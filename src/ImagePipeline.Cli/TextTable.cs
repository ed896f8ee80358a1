using System.Text;
using Spectre.Console;

namespace ImagePipeline.Cli;

/// <summary>
/// A table of text cells, written either as a Spectre table (on a terminal) or as plain lines: columns padded with
/// spaces, two between columns, no ANSI codes (when stdout is a file or a pipe).
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public IReadOnlyList<string> Headers { get; } = headers;

    public int Count => _rows.Count;

    /// <summary>Columns (by index) a Spectre table never wraps: ids, statuses, times.</summary>
    public HashSet<int> NoWrap { get; } = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != Headers.Count)
        {
            throw new ArgumentException($"A row needs {Headers.Count} cells.", nameof(cells));
        }

        _rows.Add([.. cells.Select(ClientOptions.Clean)]);
    }

    /// <summary>Plain lines: a header line, then one line per row (trailing spaces trimmed).</summary>
    public string ToPlainText()
    {
        var widths = Headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        foreach (var row in _rows.Prepend([.. Headers]))
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i < row.Length - 1 ? row[i].PadRight(widths[i] + 2) : row[i]);
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A Spectre table; <paramref name="style"/> may colour a cell (row index, column index, text) → markup.</summary>
    public Table ToSpectre(Func<int, int, string, string?>? style = null)
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (var c = 0; c < Headers.Count; c++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(Headers[c])) { NoWrap = NoWrap.Contains(c) });
        }

        for (var r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            table.AddRow([.. row.Select((cell, c) => (Spectre.Console.Rendering.IRenderable)new Markup(style?.Invoke(r, c, cell) ?? Markup.Escape(cell)))]);
        }

        return table;
    }

    /// <summary>Writes the table to stdout: Spectre on a terminal, plain lines otherwise.</summary>
    public void Write(bool terminal, Func<int, int, string, string?>? style = null)
    {
        if (terminal)
        {
            AnsiConsole.Write(ToSpectre(style));
        }
        else
        {
            Console.Out.Write(ToPlainText());
        }
    }

    /// <summary>Markup of an image or upload status in its colour.</summary>
    public static string StatusMarkup(string status) => status switch
    {
        "ready" or "uploaded" => $"[green]{Markup.Escape(status)}[/]",
        "processing" or "pending" => $"[yellow]{Markup.Escape(status)}[/]",
        "failed" or "rejected" or "timed_out" => $"[red]{Markup.Escape(status)}[/]",
        _ => Markup.Escape(status),
    };
}
