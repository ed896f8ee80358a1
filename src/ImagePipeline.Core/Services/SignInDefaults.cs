namespace ImagePipeline.Core.Services;

/// <summary>Sign-in values that the stack, the hosts and the CLI must agree on.</summary>
public static class SignInDefaults
{
    /// <summary>
    /// The CLI's loopback redirect port. Cognito matches callback URLs exactly, so the port is fixed (not ephemeral,
    /// as RFC 8252 would allow) and the same default everywhere; a deployment may choose another.
    /// </summary>
    public const int CliCallbackPort = 53682;

    /// <summary>The CLI's redirect URI for <paramref name="port"/>: plain http is allowed for <c>localhost</c> only.</summary>
    public static string CliRedirectUri(int port) => $"http://localhost:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/callback";
}
