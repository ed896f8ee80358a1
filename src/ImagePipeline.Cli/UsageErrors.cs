using System.CommandLine;
using System.CommandLine.Parsing;

namespace ImagePipeline.Cli;

/// <summary>
/// What a command line the parser refused prints instead of System.CommandLine's default (which puts "Required command
/// was not provided." before an unknown command's own error and the whole help on stdout): the errors on stderr, each
/// once, prefixed with the command, and where to read more. Exit code 1 (a usage error, as the design fixes).
/// </summary>
internal static class UsageErrors
{
    /// <summary>The root command's action: no command was named.</summary>
    public static int NoCommand(RootCommand root)
    {
        Console.Error.WriteLine($"imagepipeline: name a command: {CommandList(root)}.");
        Console.Error.WriteLine("Run 'imagepipeline --help' for what each does.");
        return ExitCodes.UsageOrConnection;
    }

    /// <summary>Writes the errors of <paramref name="parse"/> to <paramref name="error"/> and returns exit code 1.</summary>
    public static int Report(ParseResult parse, TextWriter error)
    {
        var command = CommandPath(parse.CommandResult);
        if (parse.CommandResult.Command is RootCommand root && parse.UnmatchedTokens is [var first, ..] && !first.StartsWith('-'))
        {
            // An unknown first word is an unknown command, whatever else follows it (its options mean nothing without it).
            var near = root.Subcommands.Select(c => c.Name).Where(name => IsNear(first, name)).ToList();
            error.WriteLine(near.Count > 0
                ? $"imagepipeline: '{ClientOptions.Clean(first)}' is not a command; did you mean {string.Join(" or ", near)}?"
                : $"imagepipeline: '{ClientOptions.Clean(first)}' is not a command; the commands are {CommandList(root)}.");
            error.WriteLine("Run 'imagepipeline --help' for what each does.");
            return ExitCodes.UsageOrConnection;
        }

        foreach (var message in parse.Errors.Select(e => ClientOptions.Clean(e.Message)).Distinct(StringComparer.Ordinal))
        {
            error.WriteLine($"{command}: {message}");
        }

        error.WriteLine($"Run '{command} --help' for usage.");
        return ExitCodes.UsageOrConnection;
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
        {
            names.Insert(0, c.Command is RootCommand ? "imagepipeline" : c.Command.Name);
        }

        return string.Join(' ', names);
    }

    private static string CommandList(Command root) => string.Join(", ", root.Subcommands.Select(c => c.Name));

    // A typo (at most two edits away) or the start of a command's name ("down" for download).
    private static bool IsNear(string typed, string name) =>
        (typed.Length >= 2 && name.StartsWith(typed, StringComparison.OrdinalIgnoreCase)) || EditDistance(typed.ToLowerInvariant(), name) <= 2;

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
