using System.Globalization;

namespace ImagePipeline.Cli.SignIn;

/// <summary>
/// The bearer token the client commands send to one API: <c>$IMAGEPIPELINE_TOKEN</c> when set (automation; the cache
/// is then not looked at), else the tokens <c>login</c> saved for that API. A saved access token that expires within
/// a minute is renewed with its refresh token first, under the token file's lock: the file is read again under it, so
/// when another CLI renewed meanwhile (refresh tokens may be single-use) its tokens are taken instead. A token the API
/// refuses (401) although it has not expired is renewed once too. Thread-safe: parallel uploads share one instance.
/// </summary>
internal sealed class BearerTokens
{
    public const string TokenVariable = "IMAGEPIPELINE_TOKEN";

    /// <summary>A saved token this close to its expiry is renewed before it is sent.</summary>
    private static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(60);

    private readonly string _api;
    private readonly string? _fromEnvironment;
    private readonly TokenStore? _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _loaded, _renewedAfterRejection;
    private StoredTokens? _current;
    private string? _problem;

    private BearerTokens(string api, string? fromEnvironment, TokenStore? store, string? problem)
    {
        _api = api;
        _fromEnvironment = fromEnvironment;
        _store = store;
        _problem = problem;
    }

    /// <summary>The tokens for the API shown as <paramref name="api"/> (the token file's key).</summary>
    public static BearerTokens For(string api)
    {
        if (Environment.GetEnvironmentVariable(TokenVariable)?.Trim() is { Length: > 0 } token)
        {
            return new BearerTokens(api, token, null, null);
        }

        try
        {
            return new BearerTokens(api, null, TokenStore.ForUser(), null);
        }
        catch (TokenStoreException e)
        {
            return new BearerTokens(api, null, null, e.Message);
        }
    }

    /// <summary>The token to send now, renewed first when it is about to expire; null when there is none.</summary>
    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (_fromEnvironment is not null)
        {
            return _fromEnvironment;
        }

        if (_store is null)
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_loaded)
            {
                _loaded = true;
                try
                {
                    _current = _store.Get(_api);
                }
                catch (TokenStoreException e)
                {
                    _problem = e.Message;
                }
            }

            if (_current is null)
            {
                return null;
            }

            if (_current.ExpiresAt - RenewBefore <= DateTimeOffset.UtcNow)
            {
                await RenewAsync(_current.AccessToken, cancellationToken).ConfigureAwait(false);
            }

            return _current is { } current && current.ExpiresAt > DateTimeOffset.UtcNow ? current.AccessToken : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// After the API refused <paramref name="rejected"/> (401): whether another token is now worth a second try —
    /// renewed once per run, or already renewed by a parallel request.
    /// </summary>
    public async Task<bool> RenewAfterRejectionAsync(string? rejected, CancellationToken cancellationToken)
    {
        if (_fromEnvironment is not null || _store is null || rejected is null)
        {
            return false;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is null)
            {
                return false;
            }

            if (_current.AccessToken != rejected)
            {
                return _current.ExpiresAt > DateTimeOffset.UtcNow;
            }

            if (_renewedAfterRejection)
            {
                return false;
            }

            _renewedAfterRejection = true;
            await RenewAsync(rejected, cancellationToken).ConfigureAwait(false);
            return _current is { } current && current.AccessToken != rejected && current.ExpiresAt > DateTimeOffset.UtcNow;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// What to tell the user when the API answered 401 (<paramref name="reason"/>: "401 Unauthorized: …"); always ends
    /// with how to sign in.
    /// </summary>
    public string RejectionMessage(string reason)
    {
        var login = $"run imagepipeline login --api {_api}";
        if (_fromEnvironment is not null)
        {
            return $"the API at {_api} refused the token in {TokenVariable} ({reason}); set a valid one, or unset it and {login}.";
        }

        var who = _current?.User is { Length: > 0 } user ? " as " + user : "";
        if (_problem is not null)
        {
            return $"the API at {_api} needs sign-in ({reason}): {_problem}; {login}.";
        }

        return _current is null
            ? $"the API at {_api} needs sign-in ({reason}): {login}."
            : $"the API at {_api} refused the saved sign-in{who} ({reason}); {login}.";
    }

    /// <summary>Renews the saved tokens with their refresh token, under the file's lock. Called with the gate held.</summary>
    private async Task RenewAsync(string stale, CancellationToken cancellationToken)
    {
        try
        {
            await _store!.UpdateAsync(async entries =>
            {
                if (!entries.TryGetValue(_api, out var stored))
                {
                    _current = null;
                    _problem = "the saved sign-in was removed meanwhile (logout)";
                    return (false, 0);
                }

                var who = stored.User is { Length: > 0 } user ? " as " + user : "";
                if (stored.AccessToken != stale && stored.ExpiresAt - RenewBefore > DateTimeOffset.UtcNow)
                {
                    // Another imagepipeline renewed (or logged in) meanwhile.
                    _current = stored;
                    return (false, 0);
                }

                _current = stored;
                if (stored.RefreshToken is not { Length: > 0 } refreshToken)
                {
                    _problem = $"the saved sign-in{who} expired at {Time(stored.ExpiresAt)} and cannot be renewed (the identity provider gave no refresh token)";
                    return (false, 0);
                }

                var client = Oidc.Client(stored.Authority, stored.ClientId, stored.Scopes);
                var result = await client.RefreshTokenAsync(refreshToken, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (result.IsError || string.IsNullOrEmpty(result.AccessToken))
                {
                    var why = result.IsError ? $"{result.Error}{(result.ErrorDescription is { Length: > 0 } d ? ": " + d : "")}" : "no access token in the answer";
                    _problem = $"renewing the saved sign-in{who} at {stored.Authority} failed ({ClientOptions.Clean(why)})";
                    return (false, 0);
                }

                var now = DateTimeOffset.UtcNow;
                _current = stored with
                {
                    AccessToken = result.AccessToken,
                    ExpiresAt = result.AccessTokenExpiration is { } expires && expires > now ? expires.ToUniversalTime() : now.AddSeconds(Math.Max(result.ExpiresIn, 0)),
                    RefreshToken = string.IsNullOrEmpty(result.RefreshToken) ? stored.RefreshToken : result.RefreshToken,
                    SavedAt = now,
                };
                _problem = null;
                entries[_api] = _current;
                return (true, 0);
            }, cancellationToken).ConfigureAwait(false);
        }
        // OidcClient throws InvalidOperationException when the issuer's discovery document cannot be loaded.
        catch (Exception e) when (e is TokenStoreException or HttpRequestException or InvalidOperationException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var who = _current?.User is { Length: > 0 } user ? " as " + user : "";
            _problem = e is TokenStoreException
                ? "renewing the saved sign-in failed: " + ClientOptions.Clause(e.Message)
                : $"renewing the saved sign-in{who} at {_current?.Authority} failed ({ClientOptions.Clause(ApiClient.Reason(e))})";
        }
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy'-'MM'-'dd' 'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);
}
