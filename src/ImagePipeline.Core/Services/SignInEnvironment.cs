namespace ImagePipeline.Core.Services;

/// <summary>
/// Names of the environment variables through which the CDK stack tells the api function how callers sign in (what
/// <c>GET /v1/config</c> announces) and where its list-cursor key is kept. The stack sets them and the function host
/// reads them, both from here (the pipeline's other variables are in <see cref="PipelineEnvironment"/>).
/// </summary>
public static class SignInEnvironment
{
    /// <summary>
    /// The api function's sign-in mode: <see cref="CognitoMode"/> (every <c>/v1</c> route but the three public ones
    /// passed the HTTP API's JWT authorizer, and the owner is the <c>sub</c> of the authorizer's claims; a request
    /// without claims on a private route is refused, never served as anonymous) or <see cref="AnonymousMode"/> (the
    /// demo deployment with <c>-c anonymousApi=true</c>, and LocalStack: every caller is the owner <c>anonymous</c>).
    /// </summary>
    public const string Mode = "IMAGEPIPELINE_AUTH_MODE";

    /// <summary>The value of <see cref="Mode"/> on a deployment with Cognito sign-in (the default on AWS).</summary>
    public const string CognitoMode = "cognito";

    /// <summary>The value of <see cref="Mode"/> on a deployment without sign-in.</summary>
    public const string AnonymousMode = "anonymous";

    /// <summary>
    /// <see cref="CognitoMode"/> only: the issuer, <c>https://cognito-idp.REGION.amazonaws.com/POOL_ID</c> (no trailing
    /// slash; its discovery document is under <c>/.well-known/openid-configuration</c>). <c>/v1/config</c>'s <c>authority</c>.
    /// </summary>
    public const string Authority = "IMAGEPIPELINE_AUTH_AUTHORITY";

    /// <summary><see cref="CognitoMode"/> only: the public app client (no secret; authorization code + PKCE). <c>clientId</c>.</summary>
    public const string ClientId = "IMAGEPIPELINE_AUTH_CLIENT_ID";

    /// <summary>
    /// <see cref="CognitoMode"/> only: the scopes a client requests, separated by single spaces (OAuth's scope syntax):
    /// <c>openid profile email imagepipeline/api</c>. <c>scopes</c>, as a list.
    /// </summary>
    public const string Scopes = "IMAGEPIPELINE_AUTH_SCOPES";

    /// <summary>
    /// <see cref="CognitoMode"/> only: where a browser signs out, Cognito's
    /// <c>https://DOMAIN/logout?client_id=…&amp;logout_uri=…</c> (the page's address, registered as a sign-out URL).
    /// <c>logoutUrl</c>.
    /// </summary>
    public const string LogoutUrl = "IMAGEPIPELINE_AUTH_LOGOUT_URL";

    /// <summary>
    /// <see cref="CognitoMode"/> only: the CLI's registered loopback redirect,
    /// <see cref="SignInDefaults.CliRedirectUri"/> of the deployment's port. <c>cliRedirectUri</c>.
    /// </summary>
    public const string CliRedirectUri = "IMAGEPIPELINE_AUTH_CLI_REDIRECT_URI";

    /// <summary>
    /// The api function's list-cursor key, by reference: the name of an SSM Parameter Store parameter,
    /// <c>/aws/reference/secretsmanager/SECRET_NAME</c> (Parameter Store's view of the stack's Secrets Manager secret).
    /// Read once at start-up with <c>GetParameter</c> and <c>WithDecryption = true</c>; its value is the key as
    /// <see cref="PipelineEnvironment.CursorKey"/> would hold it (base64, at least 32 bytes). The key itself is never in the
    /// template or the function's configuration, so the stack no longer sets <see cref="PipelineEnvironment.CursorKey"/>.
    /// </summary>
    public const string CursorKeyParameter = "IMAGEPIPELINE_CURSOR_KEY_PARAMETER";

    /// <summary>The prefix of Parameter Store's names for Secrets Manager secrets (<see cref="CursorKeyParameter"/>).</summary>
    public const string SecretsManagerReferencePrefix = "/aws/reference/secretsmanager/";

    /// <summary>The identifier of the user pool's resource server, the first part of <see cref="ApiScope"/>.</summary>
    public const string ResourceServerIdentifier = "imagepipeline";

    /// <summary>The resource server's one scope, the second part of <see cref="ApiScope"/>.</summary>
    public const string ApiScopeName = "api";

    /// <summary>
    /// The scope the JWT authorizer requires on every private route: Cognito's ID tokens carry no scope, so only access
    /// tokens (whose audience is in <c>client_id</c>, not <c>aud</c>) pass.
    /// </summary>
    public const string ApiScope = ResourceServerIdentifier + "/" + ApiScopeName;
}
