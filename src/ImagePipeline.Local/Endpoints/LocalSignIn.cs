using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// Bearer tokens of the configured OpenID Connect issuer, validated by JwtBearer (signature from the issuer's JWKS,
/// issuer, lifetime). Access tokens only: the audience is the token's <c>aud</c>, or — Cognito's access tokens carry
/// none — its <c>client_id</c>; a token with <c>token_use=id</c> is refused. The owner is the <c>sub</c> claim.
/// </summary>
internal static class LocalSignIn
{
    public static void Configure(JwtBearerOptions jwt, LocalAuth auth)
    {
        jwt.Authority = auth.Authority.ToString().TrimEnd('/');
        jwt.RequireHttpsMetadata = auth.Authority.Scheme == "https";
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
            AudienceValidator = (audiences, token, _) => IsForAudience(audiences, token, auth.Audience),
        };
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                if (context.Principal?.FindFirst("token_use")?.Value == "id")
                {
                    context.Fail("ID tokens are not accepted; send the access token.");
                }
                else if (string.IsNullOrEmpty(context.Principal?.FindFirst("sub")?.Value))
                {
                    context.Fail("The access token has no subject.");
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>The caller's subject when the request carried a valid access token.</summary>
    public static string? CallerOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true ? context.User.FindFirst("sub")?.Value : null;

    /// <summary>
    /// The page's CSP. With sign-in on, the page also fetches from the issuer (discovery, the token endpoint for the code
    /// exchange and refreshes). Going to the sign-in and sign-out pages is a top-level navigation, which CSP does not
    /// restrict, and the page posts no form anywhere (the login form is the issuer's own page), so <c>form-action</c>
    /// stays <c>'self'</c>.
    /// </summary>
    public static string ContentSecurityPolicy(LocalAuth? auth)
    {
        var issuer = auth is null ? "" : " " + auth.Authority.GetLeftPart(UriPartial.Authority);
        return $"default-src 'self'; img-src 'self' blob: data:; connect-src 'self'{issuer}; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    }

    private static bool IsForAudience(IEnumerable<string> audiences, SecurityToken token, string audience)
    {
        var given = audiences.ToList();
        if (given.Count > 0)
        {
            return given.Contains(audience, StringComparer.Ordinal);
        }

        return token is JsonWebToken jwt && jwt.TryGetPayloadValue<string>("client_id", out var clientId) && clientId == audience;
    }
}
