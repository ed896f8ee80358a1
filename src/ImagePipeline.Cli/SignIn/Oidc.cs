using Duende.IdentityModel.Client;
using Duende.IdentityModel.OidcClient;

namespace ImagePipeline.Cli.SignIn;

/// <summary>The OpenID Connect client (Duende's OidcClient, made for native apps) as login and refresh use it.</summary>
internal static class Oidc
{
    /// <summary>How long one request to the identity provider (discovery, token endpoint) may take.</summary>
    public static readonly TimeSpan BackchannelTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A public client (no secret) of <paramref name="authority"/>: authorization code with PKCE, discovery over https
    /// (plain http only for a loopback issuer), the issuer name checked. The endpoints may live on another host than
    /// the issuer: Cognito's issuer is <c>cognito-idp.REGION.amazonaws.com/POOL</c> while its authorize and token
    /// endpoints are on the pool's hosted domain, and the discovery document (fetched over TLS from the issuer) is
    /// what names them. The access token is for the API, not the userinfo endpoint, so no profile is loaded; the user's
    /// name comes from the ID token, which arrives straight from the token endpoint over TLS (OpenID Connect Core
    /// §3.1.3.7) and is used for messages only.
    /// </summary>
    public static OidcClient Client(string authority, string clientId, string scopes, string? redirectUri = null) =>
        new(new OidcClientOptions
        {
            Authority = authority,
            ClientId = clientId,
            Scope = scopes,
            RedirectUri = redirectUri ?? "",
            LoadProfile = false,
            BackchannelTimeout = BackchannelTimeout,
            Policy = new Policy
            {
                Discovery = new DiscoveryPolicy { RequireHttps = true, AllowHttpOnLoopback = true, ValidateIssuerName = true, ValidateEndpoints = false },
            },
        });

    /// <summary>Who signed in, for messages: <c>name</c>, <c>preferred_username</c>, <c>email</c> or <c>cognito:username</c>, else <c>sub</c>.</summary>
    public static string? UserOf(System.Security.Claims.ClaimsPrincipal? user)
    {
        foreach (var type in new[] { "name", "preferred_username", "email", "cognito:username", "username", "sub" })
        {
            if (user?.FindFirst(type)?.Value is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }
}
