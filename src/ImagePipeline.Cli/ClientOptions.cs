using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.Core;
using Spectre.Console;

namespace ImagePipeline.Cli;

/// <summary>What the client commands (upload, list, show, download, delete, watch, reprocess) share: options, parsing, errors.</summary>
internal static partial class ClientOptions
{
    public const string ApiVariable = "IMAGEPIPELINE_API";
    public const string DefaultApi = "http://127.0.0.1:5080";

    /// <summary>Whether stdout is an interactive terminal: only then are Spectre widgets (and ANSI codes) written.</summary>
    public static bool IsTerminal => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary><c>--api URL</c>: the deployment's base URL; defaults to $IMAGEPIPELINE_API, else the local host.</summary>
    public static Option<Uri> Api()
    {
        var option = new Option<Uri>("--api")
        {
            Description = $"Base URL of the ImagePipeline API; the default comes from ${ApiVariable}, else it is {DefaultApi}.",
            HelpName = "URL",
        };
        option.CustomParser = ParseApi;
        option.DefaultValueFactory = ParseApi;
        return option;

        static Uri ParseApi(ArgumentResult result)
        {
            string text;
            string source;
            if (result.Tokens is [var token])
            {
                text = token.Value;
                source = "--api";
            }
            else if (Environment.GetEnvironmentVariable(ApiVariable) is { Length: > 0 } fromEnvironment)
            {
                text = fromEnvironment.Trim();
                source = ApiVariable;
            }
            else
            {
                text = DefaultApi;
                source = "the default";
            }

            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Host.Length > 0
                && string.IsNullOrEmpty(url.Query) && string.IsNullOrEmpty(url.Fragment) && string.IsNullOrEmpty(url.UserInfo))
            {
                return url;
            }

            result.AddError($"{source} must be an absolute http(s) URL without query, e.g. {DefaultApi}; got '{text}'.");
            return new Uri(DefaultApi);
        }
    }

    /// <summary><c>--json</c>.</summary>
    public static Option<bool> Json(string description) => new("--json") { Description = description };

    /// <summary>
    /// The <c>ID</c> argument: an image id (a UUIDv7), checked before anything is sent. Upper-case input is accepted
    /// and lower-cased; anything else is a usage error (exit 1).
    /// </summary>
    public static Argument<string> ImageId()
    {
        var argument = new Argument<string>("ID") { Description = "The image id (a UUIDv7, as upload and list print it)." };
        argument.CustomParser = result => ParseImageId(result, result.Tokens.Count == 1 ? result.Tokens[0].Value : "");
        return argument;
    }

    /// <summary>
    /// The <c>ID…</c> argument: zero or more image ids, each checked as <see cref="ImageId"/> does; duplicates are
    /// dropped (the first one stays).
    /// </summary>
    public static Argument<string[]> ImageIdList(string description)
    {
        var argument = new Argument<string[]>("ID") { Description = description, Arity = ArgumentArity.ZeroOrMore };
        argument.CustomParser = result =>
        {
            var ids = new List<string>();
            foreach (var token in result.Tokens)
            {
                var id = ParseImageId(result, token.Value);
                if (!ids.Contains(id, StringComparer.Ordinal))
                {
                    ids.Add(id);
                }
            }

            return [.. ids];
        };
        return argument;
    }

    private static string ParseImageId(ArgumentResult result, string token)
    {
        var text = token.Trim();
        var lower = text.ToLowerInvariant();
        if (ImageIds.TryParse(lower, out _))
        {
            return lower;
        }

        // The parser hands an option it does not know to the command's argument; no image id starts with '-'.
        result.AddError(text.StartsWith('-') ? $"Unrecognized option '{Shorten(text)}'." : Guid.TryParse(text, out _)
            ? $"'{Shorten(text)}' is not an image id: image ids are version-7 UUIDs."
            : $"'{Shorten(text)}' is not an image id: expected a UUID like 0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b.");
        return lower;
    }

    /// <summary>
    /// A positive duration option (<c>10m</c>, <c>90s</c>, <c>1h30m</c>, <c>500ms</c>, or seconds); null when not given
    /// (the description names the default, shown as the user writes it).
    /// </summary>
    public static Option<TimeSpan?> Duration(string name, string description)
    {
        var option = new Option<TimeSpan?>(name)
        {
            Description = description,
            HelpName = "DURATION",
        };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (TryParseDuration(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }

            result.AddError($"{name} must be a positive duration like 500ms, 30s, 10m, 1h or 1h30m; got '{text}'.");
            return null;
        };
        return option;
    }

    /// <summary>A whole-number option with a range, reported as a usage error outside it.</summary>
    public static Option<int> Number(string name, string description, int defaultValue, int min, int max, string helpName = "N")
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            // Text that is not a number is the parser's error to report; only judge real numbers here.
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                && (value < min || value > max))
            {
                result.AddError($"{name} must be between {min} and {max}; got {value}.");
            }
        });
        return option;
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var match = DurationPattern().Match(text);
        if (!match.Success || text.Length == 0)
        {
            return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        }

        double total = 0;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var part = PartPattern().Match(capture.Value);
            var number = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => number / 1000,
                "s" => number,
                "m" => number * 60,
                "h" => number * 3600,
                _ => number * 86400,
            };
        }

        if (total > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>A duration as the options take it: <c>10m</c>, <c>1h30m</c>, <c>2s</c>, <c>500ms</c>.</summary>
    public static string FormatDuration(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(1))
        {
            return ((int)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var text = "";
        if (span.Days > 0)
        {
            text += span.Days.ToString(CultureInfo.InvariantCulture) + "d";
        }

        if (span.Hours > 0)
        {
            text += span.Hours.ToString(CultureInfo.InvariantCulture) + "h";
        }

        if (span.Minutes > 0)
        {
            text += span.Minutes.ToString(CultureInfo.InvariantCulture) + "m";
        }

        if (span.Seconds > 0 || text.Length == 0)
        {
            text += span.Seconds.ToString(CultureInfo.InvariantCulture) + "s";
        }

        return text;
    }

    /// <summary>
    /// The exit code for an API problem on a single-image command: 2 for "not available" (404 unknown or deleted,
    /// 409 not made yet, 410), 1 otherwise (400: a usage error such as a garbled cursor; 5xx: the service failed).
    /// </summary>
    public static int ExitCodeFor(ApiProblemException problem) =>
        problem.Status is 404 or 409 or 410 ? ExitCodes.SomeFailed : ExitCodes.UsageOrConnection;

    /// <summary>
    /// Runs a client command's body with an <see cref="ApiClient"/> for <paramref name="api"/>: a connection error is
    /// reported on stderr (naming the URL) with exit code 1, an API problem as "&lt;status&gt; &lt;title&gt;: &lt;detail&gt;"
    /// with <see cref="ExitCodeFor"/>, and Ctrl+C as "interrupted" with 130.
    /// </summary>
    public static async Task<int> RunAsync(string command, Uri api, Func<ApiClient, Task<int>> body, CancellationToken cancellationToken)
    {
        using var client = new ApiClient(api);
        try
        {
            return await body(client).ConfigureAwait(false);
        }
        catch (ApiConnectionException e)
        {
            await Console.Error.WriteLineAsync($"imagepipeline {command}: {Clean(e.Message)}").ConfigureAwait(false);
            return ExitCodes.UsageOrConnection;
        }
        catch (ApiProblemException e)
        {
            await Console.Error.WriteLineAsync($"imagepipeline {command}: {Clean(e.Message)}").ConfigureAwait(false);
            return ExitCodeFor(e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"imagepipeline {command}: interrupted.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>A UTC timestamp as the tables show it: <c>2025-01-02 03:04:05Z</c>.</summary>
    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy'-'MM'-'dd' 'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A byte count for people: <c>812 B</c>, <c>12.3 KiB</c>, <c>4.5 MiB</c>.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };

    /// <summary>Text from elsewhere (file names, server messages) made safe for a terminal: no control characters.</summary>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]) || chars[i] is '\u2028' or '\u2029' or '\u202E' or '\u202D')
            {
                chars[i] = '?';
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// A message (the API's, an exception's) to be set inside a sentence of our own: cleaned and without its final full
    /// stop, so "(…tiff)." in ")." does not end as "…tiff).).".
    /// </summary>
    public static string Clause(string? text) => Clean(text).TrimEnd().TrimEnd('.');

    private static string Shorten(string text) => Clean(text.Length <= 60 ? text : text[..60] + "…");

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?(?:ms|[smhd]))+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(ms|[smhd])$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PartPattern();
}
