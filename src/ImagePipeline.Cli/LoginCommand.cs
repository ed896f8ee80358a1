using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Duende.IdentityModel.OidcClient;
using ImagePipeline.Cli.SignIn;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Cli;

/// <summary>
/// <c>imagepipeline login</c>: asks the API how to sign in (<c>GET /v1/config</c>), then signs in the way native apps
/// do (RFC 8252): the authorization-code flow with PKCE in the system browser, the code coming back to a listener on
/// the deployment's fixed loopback redirect (<c>http://localhost:PORT/callback</c>, on 127.0.0.1 and ::1). The tokens
/// are saved for that API (<see cref="TokenStore"/>); the client commands send and renew them.
/// </summary>
internal static class LoginCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public static Command Create()
    {
        var api = ClientOptions.Api();
        var timeout = ClientOptions.Duration("--timeout", "How long to wait for the sign-in in the browser [default: 5m].");
        var port = new Option<int?>("--callback-port")
        {
            Description = "Receive the sign-in on http://localhost:PORT/callback instead of the port the deployment announces " +
                $"(default {SignInDefaults.CliCallbackPort}); the identity provider must accept that redirect URI.",
            HelpName = "PORT",
        };
        port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } value && value is < 1 or > 65535)
            {
                result.AddError($"--callback-port must be between 1 and 65535; got {value}.");
            }
        });
        var noBrowser = new Option<bool>("--no-browser")
        {
            Description = "Do not open a browser: only print the sign-in address (open it in a browser on this machine).",
        };
        var command = new Command(
            "login",
            "Sign in to a deployment in the browser (authorization code with PKCE, loopback redirect) and save its tokens for --api " +
            "in the user's config folder ($XDG_CONFIG_HOME/imagepipeline/tokens.json, mode 0600); the client commands send them and " +
            "renew them with the refresh token. Without a browser (no DISPLAY, CI) the address is printed on stderr. " +
            "Exit codes: 0 signed in (or the deployment is anonymous, which it says), 1 usage, connection or sign-in errors, " +
            "the callback port in use, or no sign-in within --timeout.")
        {
            api, timeout, port, noBrowser,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(api)!,
            parse.GetValue(timeout) ?? DefaultTimeout,
            parse.GetValue(port),
            parse.GetValue(noBrowser),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Uri apiUrl, TimeSpan timeout, int? callbackPort, bool noBrowser, CancellationToken cancellationToken)
    {
        using var client = new ApiClient(apiUrl, signIn: false);
        var api = client.Display;
        try
        {
            ClientConfig config;
            try
            {
                config = await client.GetConfigAsync(cancellationToken);
            }
            catch (ApiProblemException e)
            {
                return Fail($"the API at {api} does not say how to sign in (GET /v1/config: {ClientOptions.Clause(e.Message)}); is --api the right URL?");
            }

            if (config.Auth is not { } auth)
            {
                await Console.Out.WriteLineAsync($"The API at {api} is anonymous: it needs no sign-in.");
                return ExitCodes.Success;
            }

            if (!Uri.TryCreate(auth.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http") || string.IsNullOrWhiteSpace(auth.ClientId))
            {
                return Fail($"the API at {api} announces a sign-in without a usable issuer or client id (authority '{ClientOptions.Clean(auth.Authority)}').");
            }

            if (RedirectUri(auth.CliRedirectUri, callbackPort) is not { } redirectUri)
            {
                return Fail($"the API at {api} announces a CLI redirect URI that is not http://localhost:PORT/callback: '{ClientOptions.Clean(auth.CliRedirectUri)}'.");
            }

            var scopes = string.Join(' ', auth.Scopes is { Count: > 0 } given ? given : ["openid"]);
            await using var callback = Listen(redirectUri, callbackPort is null, out var listenError);
            if (callback is null)
            {
                return Fail(listenError!);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var issuer = authority.ToString().TrimEnd('/');
            var oidc = Oidc.Client(issuer, auth.ClientId, scopes, redirectUri.ToString());
            AuthorizeState state;
            string response;
            try
            {
                state = await oidc.PrepareLoginAsync(cancellationToken: deadline.Token);
                if (string.IsNullOrEmpty(state.StartUrl) || string.IsNullOrEmpty(state.State))
                {
                    return Fail($"the identity provider at {issuer} gave no sign-in address.");
                }

                var opened = !noBrowser && TryOpenBrowser(state.StartUrl);
                await Console.Error.WriteLineAsync(opened
                    ? $"Sign in to {api} in the browser that opened (identity provider {issuer}). If no browser opened, open this address on this machine:"
                    : $"To sign in to {api}, open this address in a browser on this machine (identity provider {issuer}):");
                await Console.Error.WriteLineAsync("  " + state.StartUrl);
                await Console.Error.WriteLineAsync($"Waiting up to {ClientOptions.FormatDuration(timeout)} for the sign-in on {redirectUri} (Ctrl+C to cancel)…");
                response = await callback.WaitAsync(state.State, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return Fail($"no sign-in arrived within {ClientOptions.FormatDuration(timeout)} (--timeout); run imagepipeline login again.");
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                return Fail($"cannot start the sign-in at the identity provider {issuer}: {ClientOptions.Clean(ApiClient.Reason(e))}");
            }

            LoginResult result;
            try
            {
                result = await oidc.ProcessResponseAsync(response, state, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                return Fail($"the sign-in could not be completed at {issuer}: {ClientOptions.Clean(ApiClient.Reason(e))}");
            }

            if (result.IsError || string.IsNullOrEmpty(result.AccessToken))
            {
                var why = result.IsError ? result.Error + (result.ErrorDescription is { Length: > 0 } d ? ": " + d : "") : "no access token in the answer";
                return Fail($"the sign-in failed: {ClientOptions.Clean(why)}");
            }

            var now = DateTimeOffset.UtcNow;
            var expires = result.AccessTokenExpiration > now ? result.AccessTokenExpiration.ToUniversalTime() : now.AddMinutes(5);
            var user = Oidc.UserOf(result.User);
            var store = TokenStore.ForUser();
            await store.SaveAsync(
                api,
                new StoredTokens(issuer, auth.ClientId, scopes, user, result.AccessToken, expires, string.IsNullOrEmpty(result.RefreshToken) ? null : result.RefreshToken, now),
                cancellationToken);

            await Console.Out.WriteLineAsync($"Signed in to {api}{(user is null ? "" : " as " + ClientOptions.Clean(user))}.");
            await Console.Error.WriteLineAsync(
                $"Tokens saved in {store.FilePath}; the access token expires at {ClientOptions.Time(expires)}" +
                (string.IsNullOrEmpty(result.RefreshToken)
                    ? ". The identity provider gave no refresh token: run imagepipeline login again then."
                    : " and is renewed with the refresh token."));
            if (Environment.GetEnvironmentVariable(BearerTokens.TokenVariable) is { Length: > 0 })
            {
                await Console.Error.WriteLineAsync($"Note: {BearerTokens.TokenVariable} is set, and the client commands send it instead of these tokens while it is.");
            }

            return ExitCodes.Success;
        }
        catch (ApiConnectionException e)
        {
            return Fail(e.Message);
        }
        catch (TokenStoreException e)
        {
            return Fail(e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("imagepipeline login: interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("imagepipeline login: " + ClientOptions.Clean(message));
        return ExitCodes.UsageOrConnection;
    }

    /// <summary>
    /// The loopback redirect: what the deployment announces (its default when it announces none), on
    /// <paramref name="port"/> when given. Null when it is not <c>http</c> on a loopback host.
    /// </summary>
    internal static Uri? RedirectUri(string? announced, int? port)
    {
        var text = string.IsNullOrWhiteSpace(announced) ? SignInDefaults.CliRedirectUri(SignInDefaults.CliCallbackPort) : announced.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != "http" || !uri.IsLoopback
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        return port is { } p ? new UriBuilder(uri) { Port = p }.Uri : uri;
    }

    private static LoopbackCallback? Listen(Uri redirectUri, bool announcedPort, out string? error)
    {
        try
        {
            error = null;
            return LoopbackCallback.Listen(redirectUri);
        }
        catch (CallbackPortException e)
        {
            var port = e.Port.ToString(CultureInfo.InvariantCulture);
            error = $"{ClientOptions.Clause(e.Message)}. The sign-in comes back to {redirectUri}; stop the program using port {port} and try again" +
                (announcedPort
                    ? ", or pass --callback-port N for a port whose redirect http://localhost:N/callback the identity provider also accepts."
                    : ".");
            return null;
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/> in the user's browser: <c>xdg-open</c> where a display is (DISPLAY or
    /// WAYLAND_DISPLAY), <c>open</c> on macOS, the shell on Windows. False when there is none or it failed: then only
    /// the printed address remains.
    /// </summary>
    private static bool TryOpenBrowser(string url)
    {
        try
        {
            ProcessStartInfo start;
            if (OperatingSystem.IsWindows())
            {
                start = new ProcessStartInfo(url) { UseShellExecute = true };
            }
            else
            {
                string opener;
                if (OperatingSystem.IsMacOS())
                {
                    opener = "open";
                }
                else if (Environment.GetEnvironmentVariable("DISPLAY") is { Length: > 0 } || Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is { Length: > 0 })
                {
                    opener = "xdg-open";
                }
                else
                {
                    return false;
                }

                // Through sh, so the browser's own output goes nowhere (not into our terminal, nor into a pipe nobody reads).
                start = new ProcessStartInfo("/bin/sh", ["-c", "command -v \"$0\" >/dev/null 2>&1 || exit 127; exec \"$0\" \"$1\" </dev/null >/dev/null 2>&1", opener, url])
                {
                    UseShellExecute = false,
                };
            }

            using var process = Process.Start(start);
            if (process is null)
            {
                return OperatingSystem.IsWindows();
            }

            // xdg-open and open return once the browser has the address; a browser started by them may keep running.
            return !process.WaitForExit(TimeSpan.FromSeconds(10)) || process.ExitCode == 0;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return false;
        }
    }
}
