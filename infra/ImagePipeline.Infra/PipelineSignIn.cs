using System.Text.RegularExpressions;
using Amazon.CDK;
using Amazon.CDK.AWS.Cognito;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Infra;

/// <summary>
/// Cognito sign-in (AWS, unless <c>-c anonymousApi=true</c>): a user pool where users sign in with their email address,
/// the resource server whose scope <see cref="SignInEnvironment.ApiScope"/> the HTTP API's JWT authorizer requires, the
/// hosted sign-in domain, and one public app client (no secret) for the authorization-code flow with PKCE, shared by the
/// web page and the CLI. Made in two steps: the pool and the domain first (the page's CSP names the domain), the client
/// once the page's address is known (its callback and sign-out URLs).
/// </summary>
internal sealed partial class PipelineSignIn
{
    /// <summary>The scopes clients request: OpenID Connect's, and the API's.</summary>
    public static IReadOnlyList<string> Scopes { get; } = ["openid", "profile", "email", SignInEnvironment.ApiScope];

    /// <summary>Sign-in and refresh: an access token lives an hour, a refresh token 30 days (Cognito's defaults, written out).</summary>
    public static readonly Duration AccessTokenValidity = Duration.Hours(1);
    public static readonly Duration RefreshTokenValidity = Duration.Days(30);

    /// <summary>The user pool's feature plan (<c>UserPoolTier</c>).</summary>
    public const string FeaturePlan = "ESSENTIALS";

    private readonly StackScope _scope;

    public PipelineSignIn(StackScope scope)
    {
        _scope = scope;
        var settings = scope.Settings;

        UserPool = new UserPool(scope.Stack, "UserPool", new UserPoolProps
        {
            // Off by default: the operator creates users (infra/README.md, "Signing in"); -c selfSignUp=true opens it.
            SelfSignUpEnabled = settings.SelfSignUp,
            SignInAliases = new SignInAliases { Email = true },
            SignInCaseSensitive = false,
            AutoVerify = new AutoVerifiedAttrs { Email = true },
            StandardAttributes = new StandardAttributes { Email = new StandardAttribute { Required = true, Mutable = true } },
            PasswordPolicy = new PasswordPolicy
            {
                MinLength = 12,
                RequireLowercase = true,
                RequireUppercase = true,
                RequireDigits = true,
                RequireSymbols = true,
                TempPasswordValidity = Duration.Days(3),
            },
            // Optional TOTP (an authenticator app); no SMS (it needs an SNS role, sandbox exit and costs per message). cdk-nag's
            // COG2 (MFA not required) is a warning, left visible rather than suppressed.
            Mfa = Mfa.OPTIONAL,
            MfaSecondFactor = new MfaSecondFactor { Otp = true, Sms = false },
            AccountRecovery = AccountRecovery.EMAIL_ONLY,
            // Threat protection (advanced security) is left off: it needs the Plus feature plan, billed per monthly active
            // user with no free tier.
            DeletionProtection = settings.DeletionProtection,
            RemovalPolicy = scope.Removal,
        });
        // The feature plan, written out (aws-cdk-lib 2.160 predates the property): Essentials, Cognito's default for new
        // pools, with 10,000 monthly active users free, so the bill cannot change with a default.
        ((CfnUserPool)UserPool.Node.DefaultChild!).AddPropertyOverride("UserPoolTier", FeaturePlan);
        scope.Nag.Add(UserPool, "AwsSolutions-COG3",
            "Threat protection (AdvancedSecurityMode) needs Cognito's Plus feature plan, billed per monthly active user with no free " +
            "tier; left to the operator (infra/README.md, \"Signing in\").");

        ResourceServer = UserPool.AddResourceServer("ApiResourceServer", new UserPoolResourceServerOptions
        {
            Identifier = SignInEnvironment.ResourceServerIdentifier,
            UserPoolResourceServerName = "ImagePipeline API",
            Scopes = [ApiScope],
        });

        DomainPrefix = settings.AuthDomainPrefix ?? DefaultDomainPrefix(settings.StackName);
        Domain = UserPool.AddDomain("HostedDomain", new UserPoolDomainOptions
        {
            CognitoDomain = new CognitoDomainOptions { DomainPrefix = DomainPrefix },
        });

        // Built from the prefix, not from the domain resource: the page's headers policy names it, and must not wait for it.
        HostedDomainUrl = $"https://{DomainPrefix}.auth.{Aws.REGION}.amazoncognito.com";
        IdentityEndpoint = $"https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}";
        Issuer = $"{IdentityEndpoint}/{UserPool.UserPoolId}";
        CliRedirectUri = SignInDefaults.CliRedirectUri(settings.CliCallbackPort);
    }

    public UserPool UserPool { get; }

    public UserPoolResourceServer ResourceServer { get; }

    public UserPoolDomain Domain { get; }

    /// <summary>The hosted domain's prefix: <c>-c authDomainPrefix</c>, or the default (<see cref="DefaultDomainPrefix"/>).</summary>
    public string DomainPrefix { get; }

    /// <summary><c>https://PREFIX.auth.REGION.amazoncognito.com</c>: the sign-in pages, the token and sign-out endpoints.</summary>
    public string HostedDomainUrl { get; }

    /// <summary><c>https://cognito-idp.REGION.amazonaws.com</c>: the issuer's host (discovery document, keys).</summary>
    public string IdentityEndpoint { get; }

    /// <summary>The pool's issuer, <c>https://cognito-idp.REGION.amazonaws.com/POOL_ID</c>.</summary>
    public string Issuer { get; }

    /// <summary>The CLI's loopback redirect, <c>http://localhost:PORT/callback</c>.</summary>
    public string CliRedirectUri { get; }

    /// <summary>What the page's CSP must allow for sign-in (connect-src and form-action).</summary>
    public IReadOnlyList<string> ContentSecuritySources => [HostedDomainUrl, IdentityEndpoint];

    /// <summary>The app client; null until <see cref="AddClient"/>.</summary>
    public UserPoolClient? Client { get; private set; }

    /// <summary>Cognito's sign-out address for the page; null until <see cref="AddClient"/>.</summary>
    public string? LogoutUrl { get; private set; }

    private static ResourceServerScope ApiScope { get; } = new(new ResourceServerScopeProps
    {
        ScopeName = SignInEnvironment.ApiScopeName,
        ScopeDescription = "Call the ImagePipeline REST API as the signed-in user.",
    });

    /// <summary>
    /// The default hosted-domain prefix, unique per account and region as Cognito requires: the stack name in lower case
    /// (without the words Cognito refuses), a hyphen and the account id, e.g. <c>imagepipeline-123456789012</c>.
    /// </summary>
    public static string DefaultDomainPrefix(string stackName)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        var part = stackName.ToLowerInvariant();
        foreach (var word in StackSettings.ReservedDomainWords)
        {
            part = part.Replace(word, "", StringComparison.Ordinal);
        }

        part = RepeatedHyphens().Replace(part, "-").Trim('-');
        // At most 20 (namePrefix) + 1 + 13 (ImagePipeline) characters, and a 12-digit account: well within 63.
        return Fn.Join("-", [part.Length == 0 ? "imagepipeline" : part, Aws.ACCOUNT_ID]);
    }

    /// <summary>
    /// The public client of the web page and the CLI: authorization code with PKCE only (no implicit flow, no client
    /// credentials, no password sign-in through the API), refresh tokens, the API's scope. Callbacks: the page at its address and
    /// at each of <paramref name="devOrigins"/> (<c>ORIGIN/</c>) and the CLI's <c>http://localhost:PORT/callback</c>; sign-out URLs:
    /// the page's origins. Cognito accepts plain http only for <c>localhost</c>: any other http origin is left out.
    /// </summary>
    /// <param name="pageDomainName">The page's host (CloudFront's domain name): <c>https://HOST/</c> is the page's
    /// callback, and the sign-out address of <see cref="LogoutUrl"/>.</param>
    /// <param name="devOrigins">The operator's development origins (<c>-c devOrigins</c>).</param>
    public UserPoolClient AddClient(string pageDomainName, IReadOnlyList<string> devOrigins)
    {
        if (Client is not null)
        {
            throw new InvalidOperationException("The app client is already made.");
        }

        var usable = new List<string> { $"https://{pageDomainName}" };
        foreach (var origin in devOrigins)
        {
            if (origin.StartsWith("https://", StringComparison.Ordinal) || LocalhostOrigin().IsMatch(origin))
            {
                usable.Add(origin);
            }
            else
            {
                Annotations.Of(_scope.Stack).AddWarningV2("imagepipeline:devOriginWithoutSignIn",
                    $"{origin} is not registered as a sign-in callback: Cognito accepts plain http only for localhost. " +
                    "Use http://localhost:PORT as the development origin to sign in from it.");
            }
        }

        Client = UserPool.AddClient("AppClient", new UserPoolClientOptions
        {
            UserPoolClientName = "ImagePipeline web page and CLI",
            GenerateSecret = false,
            OAuth = new OAuthSettings
            {
                Flows = new OAuthFlows { AuthorizationCodeGrant = true, ImplicitCodeGrant = false, ClientCredentials = false },
                Scopes =
                [
                    OAuthScope.OPENID,
                    OAuthScope.PROFILE,
                    OAuthScope.EMAIL,
                    OAuthScope.ResourceServer(ResourceServer, ApiScope),
                ],
                CallbackUrls = [.. usable.Select(o => o + "/"), CliRedirectUri],
                // Cognito matches sign-out URLs exactly: the origin with and without its slash.
                LogoutUrls = [.. usable.SelectMany(o => new[] { o + "/", o })],
            },
            SupportedIdentityProviders = [UserPoolClientIdentityProvider.COGNITO],
            PreventUserExistenceErrors = true,
            EnableTokenRevocation = true,
            AccessTokenValidity = AccessTokenValidity,
            IdTokenValidity = AccessTokenValidity,
            RefreshTokenValidity = RefreshTokenValidity,
        });

        // Sign-in happens on the hosted pages only: no USER_PASSWORD/SRP/CUSTOM flow through the API, refresh tokens yes.
        ((CfnUserPoolClient)Client.Node.DefaultChild!).ExplicitAuthFlows = ["ALLOW_REFRESH_TOKEN_AUTH"];

        // The host is a token: only the constant parts are percent-encoded (a DNS name needs no encoding).
        LogoutUrl = $"{HostedDomainUrl}/logout?client_id={Client.UserPoolClientId}&logout_uri=https%3A%2F%2F{pageDomainName}%2F";
        return Client;
    }

    [GeneratedRegex(@"^http://localhost(:\d+)?$")]
    private static partial Regex LocalhostOrigin();

    [GeneratedRegex("-{2,}")]
    private static partial Regex RepeatedHyphens();
}
