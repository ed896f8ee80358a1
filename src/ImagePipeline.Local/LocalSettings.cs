using System.Globalization;
using System.Net;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Local;

/// <summary>Sign-in of the local host: bearer tokens of an OpenID Connect issuer.</summary>
/// <param name="Authority">The issuer (discovery document and JWKS are read from it).</param>
/// <param name="Audience">The API's audience: a token's <c>aud</c>, or its <c>client_id</c> when it has no <c>aud</c>.</param>
/// <param name="ClientId">The public client clients sign in with (<c>GET /v1/config</c>).</param>
/// <param name="Scopes">The scopes clients ask for.</param>
internal sealed record LocalAuth(Uri Authority, string Audience, string ClientId, IReadOnlyList<string> Scopes);

/// <summary>
/// The local host's settings, from the command line (<c>--urls</c>, <c>--data-dir</c>…). Every option is checked: an
/// unknown one, a missing value or an unsafe combination stops the start with a message naming the option.
/// </summary>
internal sealed record LocalSettings(
    Uri Url, string DataDirectory, ImageLimits Limits, int Concurrency, int MaxAttempts, LocalAuth? Auth, Uri? PublicUrl)
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultDataDirectory = ".imagepipeline";

    /// <summary>The options the host understands, with their value's shape (for the usage message).</summary>
    public static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["urls"] = "URL",
        ["data-dir"] = "DIR",
        ["concurrency"] = "N",
        ["max-attempts"] = "N",
        ["max-bytes"] = "N",
        ["max-pixels"] = "N",
        ["auth-authority"] = "URL",
        ["auth-audience"] = "AUD",
        ["auth-client-id"] = "ID",
        ["auth-scopes"] = "\"openid profile …\"",
        ["public-url"] = "URL",
    };

    /// <summary>The usage line.</summary>
    public static string Usage => "Options: " + string.Join(" ", Options.Select(o => $"[--{o.Key} {o.Value}]"));

    /// <summary>
    /// Refuses what the configuration system would silently ignore: an unknown option (a typo in a security flag must
    /// not start an open host), a positional argument, an option without a value.
    /// </summary>
    public static void CheckCommandLine(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new InvalidOperationException($"Unexpected argument '{arg}'. {Usage}");
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            if (!Options.ContainsKey(name))
            {
                throw new InvalidOperationException($"Unknown option --{name}. {Usage}");
            }

            if (equals < 0)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"--{name} needs a value ({Options[name]}).");
                }

                i++;
            }
        }
    }

    public static LocalSettings From(IConfiguration configuration)
    {
        var urlText = (configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        var url = AbsoluteUrl("urls", urlText);

        var limits = ImageLimits.Default with
        {
            MaxBytes = Number(configuration, "max-bytes", ImageLimits.Default.MaxBytes),
            MaxPixels = Number(configuration, "max-pixels", ImageLimits.Default.MaxPixels),
        };
        limits.Validate();
        var concurrency = (int)Number(configuration, "concurrency", Environment.ProcessorCount);
        var attempts = (int)Number(configuration, "max-attempts", 5);
        if (concurrency < 1 || attempts < 1)
        {
            throw new InvalidOperationException("--concurrency and --max-attempts must be at least 1.");
        }

        var auth = ReadAuth(configuration);
        var publicUrl = configuration["public-url"] is { } publicText ? AbsoluteUrl("public-url", publicText) : null;
        if (auth is null && (!IsLoopback(url.Host) || publicUrl is not null))
        {
            throw new InvalidOperationException(
                $"Without sign-in the local host serves this machine only, so --urls must be a loopback address (127.0.0.1, [::1] or localhost); got {url.Host}" +
                (publicUrl is null ? "" : ", with --public-url") +
                ". To serve other machines, turn on sign-in with --auth-authority URL --auth-audience AUD, and give --public-url (put TLS in front: tokens must not cross a network in plain http).");
        }

        if (auth is not null && !IsLoopback(url.Host) && publicUrl is null)
        {
            throw new InvalidOperationException(
                $"--urls {url} is not a loopback address: give --public-url, the address other machines use to reach this host (signed URLs and the Host check derive from it).");
        }

        var dataDirectory = Path.GetFullPath(configuration["data-dir"] ?? DefaultDataDirectory);
        return new LocalSettings(url, dataDirectory, limits, concurrency, attempts, auth, publicUrl);
    }

    private static LocalAuth? ReadAuth(IConfiguration configuration)
    {
        var authority = configuration["auth-authority"];
        var audience = configuration["auth-audience"];
        if (authority is null && audience is null)
        {
            return configuration["auth-client-id"] is not null || configuration["auth-scopes"] is not null
                ? throw new InvalidOperationException("--auth-client-id and --auth-scopes need --auth-authority and --auth-audience.")
                : null;
        }

        if (authority is null || string.IsNullOrWhiteSpace(audience))
        {
            throw new InvalidOperationException("Sign-in needs both --auth-authority URL and --auth-audience AUD.");
        }

        if (!Uri.TryCreate(authority, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(issuer.Query))
        {
            throw new InvalidOperationException($"--auth-authority must be an absolute https URL (the issuer); got '{authority}'.");
        }

        if (issuer.Scheme == "http" && !IsLoopback(issuer.Host))
        {
            throw new InvalidOperationException(
                $"--auth-authority {authority} is plain http on another machine: keys and discovery could be forged on the way. Use https (http is accepted on loopback only, for local identity providers and tests).");
        }

        var scopes = (configuration["auth-scopes"] ?? "openid profile offline_access").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!scopes.Contains("openid"))
        {
            throw new InvalidOperationException($"--auth-scopes must include openid; got '{configuration["auth-scopes"]}'.");
        }

        return new LocalAuth(issuer, audience, configuration["auth-client-id"] ?? audience, scopes);
    }

    private static Uri AbsoluteUrl(string name, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Port == 0)
        {
            throw new InvalidOperationException($"--{name} must be an absolute http(s) URL with a port, e.g. {DefaultUrl}; got '{text}'.");
        }

        return new Uri(url.GetLeftPart(UriPartial.Authority));
    }

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static long Number(IConfiguration configuration, string name, long fallback)
    {
        var text = configuration[name];
        return text is null ? fallback
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : throw new InvalidOperationException($"--{name} must be a whole number; got '{text}'.");
    }
}
