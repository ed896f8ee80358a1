namespace ImagePipeline.Cli;

/// <summary>
/// The API (or the object storage behind a presigned URL) answered with an error status. The message is
/// <c>"&lt;status&gt; &lt;title&gt;: &lt;detail&gt;"</c> from the RFC 9457 problem detail (or the storage's own error).
/// </summary>
internal sealed class ApiProblemException(int status, string title, string? detail, string? imageStatus)
    : Exception(detail is { Length: > 0 } ? $"{status} {title}: {detail}" : $"{status} {title}")
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    /// <summary>The image's status where it explains the problem (409 not ready), else null.</summary>
    public string? ImageStatus { get; } = imageStatus;

    /// <summary>The error code the CLI reports for it: <c>http_&lt;status&gt;</c>.</summary>
    public string Code => "http_" + Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The API or the storage could not be reached, did not answer in time, or answered something that is not the API:
/// a connection error (exit code 1). The message names the URL tried.
/// </summary>
internal class ApiConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The API answered 401: no token, or one it refused (expired and not renewable, another deployment's, revoked). Like a
/// connection error it ends the command with exit code 1; the message says why and ends with "run imagepipeline login".
/// </summary>
internal sealed class ApiSignInException(string message) : ApiConnectionException(message);

/// <summary>A local file could not be read while it was uploaded.</summary>
internal sealed class LocalFileException(string message, Exception? inner = null) : IOException(message, inner);
