using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ImagePipeline.Cli;

/// <summary>How a column's cells may be fitted into less width on a terminal.</summary>
internal enum ColumnKind
{
    /// <summary>Ids, statuses, times: shown whole, never wrapped or shortened (people copy them).</summary>
    Code,

    /// <summary>A file name or path: shortened with an ellipsis in the middle when too wide, never wrapped.</summary>
    Name,

    /// <summary>Prose (an error code and its message): wrapped between words, never inside one.</summary>
    Text,
}

/// <summary>
/// A table of text cells, written either for a terminal (a Spectre table fitted to its width, or one record per row
/// when even the narrowest table would not fit) or as plain lines: columns padded with spaces, two between columns, no
/// ANSI codes (when stdout is a file or a pipe).
/// </summary>
internal sealed class TextTable(params (string Header, ColumnKind Kind)[] columns)
{
    // A rounded Spectre table spends one border and two padding cells per column, and one border at the end.
    private const int CellsPerColumn = 3;

    // A name column is not made narrower than this: "…" plus enough of the name and its extension to recognise it.
    private const int MinNameWidth = 16;

    private const string Ellipsis = "…";

    private readonly List<string[]> _rows = [];

    public IReadOnlyList<(string Header, ColumnKind Kind)> Columns { get; } = columns;

    public int Count => _rows.Count;

    public void Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"A row needs {Columns.Count} cells.", nameof(cells));
        }

        _rows.Add([.. cells.Select(ClientOptions.Clean)]);
    }

    /// <summary>Plain lines: a header line, then one line per row (trailing spaces trimmed).</summary>
    public string ToPlainText()
    {
        var widths = Columns.Select((c, i) => Math.Max(c.Header.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        foreach (var row in _rows.Prepend([.. Columns.Select(c => c.Header)]))
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

    /// <summary>
    /// The table for a terminal <paramref name="width"/> cells wide: a Spectre table when it fits (names shortened and
    /// text wrapped between words as needed), else one record per row — its codes on one line, each name and text on
    /// an indented line of its own. <paramref name="style"/> may colour a code cell (row index, column index, text) → markup.
    /// </summary>
    public IRenderable ToSpectre(int width, Func<int, int, string, string?>? style = null)
    {
        var markup = (int r, int c, string cell) => style?.Invoke(r, c, cell) ?? Markup.Escape(cell);
        return Fit(width) is { } widths ? Table(widths, markup) : Records(width, markup);
    }

    /// <summary>Writes the table to stdout: fitted to the terminal's width on a terminal, plain lines otherwise.</summary>
    public void Write(bool terminal, Func<int, int, string, string?>? style = null)
    {
        if (terminal)
        {
            AnsiConsole.Write(ToSpectre(AnsiConsole.Profile.Width, style));
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

    /// <summary>
    /// A local path as a table shows it: its file name with the folders above its parent elided
    /// (<c>sample-images/broken/x.png</c> → <c>…/broken/x.png</c>); a path of one or two parts stays as it is.
    /// </summary>
    public static string ShortPath(string path)
    {
        var parts = path.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return parts.Length <= 2 ? path : $"{Ellipsis}/{parts[^2]}/{parts[^1]}";
    }

    /// <summary>
    /// <paramref name="text"/> in at most <paramref name="width"/> cells: whole when it fits, else its start and end
    /// around an ellipsis, keeping the end (a file's extension) whole where it can.
    /// </summary>
    public static string Shorten(string text, int width)
    {
        if (CellWidth(text) <= width)
        {
            return text;
        }

        var elements = TextElements(text);
        var room = Math.Max(0, width - 1);
        var tail = room / 2;
        var head = room - tail;
        var start = new StringBuilder();
        var used = 0;
        foreach (var element in elements)
        {
            if (used + CellWidth(element) > head)
            {
                break;
            }

            start.Append(element);
            used += CellWidth(element);
        }

        var end = new List<string>();
        used = 0;
        for (var i = elements.Count - 1; i >= 0 && used + CellWidth(elements[i]) <= tail; i--)
        {
            end.Insert(0, elements[i]);
            used += CellWidth(elements[i]);
        }

        return start + Ellipsis + string.Concat(end);
    }

    /// <summary>
    /// <paramref name="text"/> broken into lines of at most <paramref name="width"/> cells, between words; a single word
    /// wider than a line is the only thing ever split (the table's layout avoids that: see <see cref="Fit"/>).
    /// </summary>
    public static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        var lineWidth = 0;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var wordWidth = CellWidth(word);
            if (lineWidth > 0 && lineWidth + 1 + wordWidth <= width)
            {
                line.Append(' ').Append(word);
                lineWidth += 1 + wordWidth;
                continue;
            }

            if (lineWidth > 0)
            {
                lines.Add(line.ToString());
                line.Clear();
                lineWidth = 0;
            }

            var rest = word;
            while (CellWidth(rest) > width && width > 0)
            {
                var (piece, remainder) = SplitAt(rest, width);
                lines.Add(piece);
                rest = remainder;
            }

            line.Append(rest);
            lineWidth = CellWidth(rest);
        }

        if (lineWidth > 0 || lines.Count == 0)
        {
            lines.Add(line.ToString());
        }

        return lines;
    }

    /// <summary>
    /// The column widths of a table that fits <paramref name="width"/>: every column as wide as its widest cell when
    /// that fits; otherwise codes whole, names no narrower than <see cref="MinNameWidth"/> and text no narrower than
    /// its longest word, the room left given to the names, then to the text. Null when even that does not fit.
    /// </summary>
    private int[]? Fit(int width)
    {
        var natural = new int[Columns.Count];
        var least = new int[Columns.Count];
        for (var c = 0; c < Columns.Count; c++)
        {
            var (header, kind) = Columns[c];
            natural[c] = Math.Max(CellWidth(header), _rows.Count == 0 ? 0 : _rows.Max(r => CellWidth(r[c])));
            least[c] = kind switch
            {
                ColumnKind.Name => Math.Min(natural[c], Math.Max(CellWidth(header), MinNameWidth)),
                ColumnKind.Text => _rows.Select(r => r[c]).Append(header).SelectMany(t => t.Split(' ')).Max(CellWidth),
                _ => natural[c],
            };
        }

        var room = width - (CellsPerColumn * Columns.Count) - 1;
        if (natural.Sum() <= room)
        {
            return natural;
        }

        if (least.Sum() > room)
        {
            return null;
        }

        // The room left goes to the names first (a shortened name loses letters, wrapped text loses nothing), then to
        // the text columns, one cell at a time to the one furthest below its natural width.
        var widths = (int[])least.Clone();
        var spare = room - least.Sum();
        for (var c = 0; c < widths.Length && spare > 0; c++)
        {
            if (Columns[c].Kind == ColumnKind.Name)
            {
                var more = Math.Min(spare, natural[c] - widths[c]);
                widths[c] += more;
                spare -= more;
            }
        }

        for (; spare > 0; spare--)
        {
            var neediest = Enumerable.Range(0, widths.Length).MaxBy(c => natural[c] - widths[c]);
            widths[neediest]++;
        }

        return widths;
    }

    private Table Table(int[] widths, Func<int, int, string, string> markup)
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (var c = 0; c < Columns.Count; c++)
        {
            table.AddColumn(new TableColumn(Markup.Escape(Columns[c].Header)) { Width = widths[c], NoWrap = true });
        }

        for (var r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            table.AddRow([.. row.Select((cell, c) => (IRenderable)new Markup(Columns[c].Kind switch
            {
                ColumnKind.Name => Markup.Escape(Shorten(cell, widths[c])),
                ColumnKind.Text => string.Join('\n', Wrap(cell, widths[c]).Select(Markup.Escape)),
                _ => markup(r, c, cell),
            }))]);
        }

        return table;
    }

    private Rows Records(int width, Func<int, int, string, string> markup)
    {
        var codes = Enumerable.Range(0, Columns.Count).Where(c => Columns[c].Kind == ColumnKind.Code).ToList();
        var codeWidths = codes.ToDictionary(c => c, c => _rows.Select(r => CellWidth(r[c])).DefaultIfEmpty(0).Max());
        var aligned = codes.Sum(c => codeWidths[c] + 2) - 2 <= width;
        var lines = new List<IRenderable>();
        for (var r = 0; r < _rows.Count; r++)
        {
            var row = _rows[r];
            if (aligned)
            {
                // The codes of every record line up in columns, as in the table.
                lines.Add(new Markup(string.Join("  ", codes.Select(c => markup(r, c, row[c]) + new string(' ', codeWidths[c] - CellWidth(row[c])))).TrimEnd()));
            }
            else
            {
                // As many codes on a line as fit; the rest on indented lines below.
                var parts = new List<string>();
                var used = 0;
                var indent = "";
                foreach (var c in codes.Where(c => row[c].Length > 0))
                {
                    var cellWidth = CellWidth(row[c]);
                    if (parts.Count > 0 && used + 2 + cellWidth > width)
                    {
                        lines.Add(new Markup(indent + string.Join("  ", parts)));
                        parts.Clear();
                        indent = "  ";
                        used = indent.Length;
                    }

                    used += (parts.Count > 0 ? 2 : 0) + cellWidth;
                    parts.Add(markup(r, c, row[c]));
                }

                lines.Add(new Markup(indent + string.Join("  ", parts)));
            }

            for (var c = 0; c < Columns.Count; c++)
            {
                if (row[c].Length == 0 || Columns[c].Kind == ColumnKind.Code)
                {
                    continue;
                }

                var text = Columns[c].Kind == ColumnKind.Name ? [Shorten(row[c], width - 2)] : Wrap(row[c], width - 2);
                lines.AddRange(text.Select(line => new Markup("  " + Markup.Escape(line))));
            }
        }

        return new Rows(lines);
    }

    private static (string Piece, string Remainder) SplitAt(string word, int width)
    {
        var elements = TextElements(word);
        var piece = new StringBuilder();
        var used = 0;
        var i = 0;
        for (; i < elements.Count && (used + CellWidth(elements[i]) <= width || used == 0); i++)
        {
            piece.Append(elements[i]);
            used += CellWidth(elements[i]);
        }

        return (piece.ToString(), string.Concat(elements.Skip(i)));
    }

    private static List<string> TextElements(string text)
    {
        var elements = new List<string>();
        var enumerator = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            elements.Add(enumerator.GetTextElement());
        }

        return elements;
    }

    // Terminal cells, as Spectre counts them (a wide CJK character or an emoji takes two).
    private static int CellWidth(string text) => text.GetCellWidth();
}
