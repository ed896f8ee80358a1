using System.Globalization;
using ImagePipeline.Core.Services;
using ImagePipeline.Http;

namespace ImagePipeline.Functions.Hosting;

/// <summary>A required environment variable is missing or unusable; the message names it.</summary>
internal sealed class FunctionConfigurationException(string message) : Exception(message);

/// <summary>
/// The function's configuration, read once from the environment the CDK stack sets (names in
/// <see cref="PipelineEnvironment"/>) and validated before any client exists, so a broken deployment fails its init
/// with the variable's name instead of failing every event.
/// </summary>
internal sealed record FunctionSettings
{
    /// <summary>Which function this process serves: <c>resize</c>, <c>thumbnail</c>, <c>api</c> or <c>deadletter</c>.</summary>
    public required string Handler { get; init; }

    public required string OriginalsBucket { get; init; }

    public required string DerivedBucket { get; init; }

    public required string Table { get; init; }

    /// <summary>The list-cursor signing key; required by the api function only.</summary>
    public byte[]? CursorKey { get; init; }

    public bool ExposeGps { get; init; }

    /// <summary>The queues' maxReceiveCount: the receive on which a transient failure is recorded as <c>internal</c>.</summary>
    public int MaxReceives { get; init; } = 5;

    public bool S3PathStyle { get; init; }

    /// <summary>The resize stage's queue, where reprocessing sends; required by the api function only.</summary>
    public Uri? ResizeQueueUrl { get; init; }

    /// <summary>The thumbnail stage's queue; required by the api function only.</summary>
    public Uri? ThumbnailQueueUrl { get; init; }

    /// <summary>The api function's cursor key by reference: an SSM parameter name, read at start-up (the stack's way).</summary>
    public string? CursorKeyParameter { get; init; }

    /// <summary>The api function's sign-in: null on an anonymous deployment (every caller is <c>anonymous</c>).</summary>
    public SignInConfig? SignIn { get; init; }

    /// <summary>The api function's page folder, relative to the bootstrap (optional).</summary>
    public string? WebRoot { get; init; }

    /// <summary>The api function's page CSP (optional; the same-origin default otherwise).</summary>
    public string? WebContentSecurityPolicy { get; init; }

    /// <summary>ARN of the resize stage's dead-letter queue; required by the deadletter function only.</summary>
    public string? ResizeDeadLetterQueueArn { get; init; }

    /// <summary>ARN of the thumbnail stage's dead-letter queue; required by the deadletter function only.</summary>
    public string? ThumbnailDeadLetterQueueArn { get; init; }

    /// <summary>Reads and validates; throws <see cref="FunctionConfigurationException"/> naming the first bad variable.</summary>
    public static FunctionSettings Read(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var handler = Required(environment, PipelineEnvironment.Handler);
        if (!PipelineEnvironment.Handlers.Contains(handler))
        {
            throw new FunctionConfigurationException(
                $"{PipelineEnvironment.Handler} is '{handler}'; it must be one of: {string.Join(", ", PipelineEnvironment.Handlers)}.");
        }

        return new FunctionSettings
        {
            Handler = handler,
            OriginalsBucket = Required(environment, PipelineEnvironment.OriginalsBucket),
            DerivedBucket = Required(environment, PipelineEnvironment.DerivedBucket),
            Table = Required(environment, PipelineEnvironment.Table),
            CursorKey = handler == "api" && Optional(environment, PipelineEnvironment.CursorKey) is { } key ? CursorKeyOf(key) : null,
            CursorKeyParameter = handler == "api" ? CursorKeyParameterOf(environment) : null,
            SignIn = handler == "api" ? SignInOf(environment) : null,
            ExposeGps = Flag(environment, PipelineEnvironment.ExposeGps),
            MaxReceives = Count(environment, PipelineEnvironment.MaxReceives, 5),
            S3PathStyle = Flag(environment, PipelineEnvironment.S3PathStyle),
            ResizeQueueUrl = handler == "api" ? QueueUrl(environment, PipelineEnvironment.ResizeQueueUrl) : null,
            ThumbnailQueueUrl = handler == "api" ? QueueUrl(environment, PipelineEnvironment.ThumbnailQueueUrl) : null,
            WebRoot = handler == "api" ? Optional(environment, PipelineEnvironment.WebRoot) : null,
            WebContentSecurityPolicy = handler == "api" ? Optional(environment, PipelineEnvironment.WebContentSecurityPolicy) : null,
            ResizeDeadLetterQueueArn = handler == "deadletter" ? QueueArn(environment, PipelineEnvironment.ResizeDeadLetterQueueArn) : null,
            ThumbnailDeadLetterQueueArn = handler == "deadletter" ? QueueArn(environment, PipelineEnvironment.ThumbnailDeadLetterQueueArn) : null,
        };
    }

    private static Uri QueueUrl(Func<string, string?> environment, string name)
    {
        var text = Required(environment, name);
        return Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) && url.AbsolutePath.Length > 1
            ? url
            : throw new FunctionConfigurationException($"{name} is '{text}'; it must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>).");
    }

    // arn:<partition>:sqs:<region>:<account>:<queue>
    private static string QueueArn(Func<string, string?> environment, string name)
    {
        var text = Required(environment, name);
        var parts = text.Split(':');
        return parts is ["arn", { Length: > 0 }, "sqs", { Length: > 0 }, { Length: > 0 }, { Length: > 0 }]
            ? text
            : throw new FunctionConfigurationException($"{name} is '{text}'; it must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<queue>).");
    }

    // The stack passes the key by reference; a value is accepted too, for emulators and tests (never from the stack).
    private static string? CursorKeyParameterOf(Func<string, string?> environment)
    {
        var parameter = Optional(environment, SignInEnvironment.CursorKeyParameter);
        if (parameter is null && Optional(environment, PipelineEnvironment.CursorKey) is null)
        {
            throw new FunctionConfigurationException(
                $"The environment variable {SignInEnvironment.CursorKeyParameter} is not set (nor {PipelineEnvironment.CursorKey}); the list-cursor signing key cannot be read without it.");
        }

        return parameter;
    }

    private static SignInConfig? SignInOf(Func<string, string?> environment)
    {
        var mode = Required(environment, SignInEnvironment.Mode);
        if (mode == SignInEnvironment.AnonymousMode)
        {
            return null;
        }

        if (mode != SignInEnvironment.CognitoMode)
        {
            throw new FunctionConfigurationException(
                $"{SignInEnvironment.Mode} is '{mode}'; it must be {SignInEnvironment.CognitoMode} or {SignInEnvironment.AnonymousMode}.");
        }

        return new SignInConfig(
            AbsoluteUrl(environment, SignInEnvironment.Authority),
            Required(environment, SignInEnvironment.ClientId),
            Required(environment, SignInEnvironment.Scopes).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            AbsoluteUrl(environment, SignInEnvironment.LogoutUrl),
            AbsoluteUrl(environment, SignInEnvironment.CliRedirectUri));
    }

    private static string AbsoluteUrl(Func<string, string?> environment, string name)
    {
        var text = Required(environment, name);
        return Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? text
            : throw new FunctionConfigurationException($"{name} is '{text}'; it must be an absolute URL.");
    }

    private static string? Optional(Func<string, string?> environment, string name) =>
        environment(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static string Required(Func<string, string?> environment, string name)
    {
        var value = environment(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new FunctionConfigurationException($"The environment variable {name} is not set; the {Purpose(name)} cannot be configured without it.")
            : value.Trim();
    }

    private static string Purpose(string name) => name switch
    {
        PipelineEnvironment.Handler => "function to serve",
        PipelineEnvironment.OriginalsBucket => "originals bucket",
        PipelineEnvironment.DerivedBucket => "derived bucket",
        PipelineEnvironment.Table => "images table",
        PipelineEnvironment.CursorKey => "list-cursor signing key",
        SignInEnvironment.Mode => "sign-in (cognito or anonymous)",
        SignInEnvironment.Authority or SignInEnvironment.ClientId or SignInEnvironment.Scopes or SignInEnvironment.LogoutUrl
            or SignInEnvironment.CliRedirectUri => "sign-in announced by GET /v1/config",
        PipelineEnvironment.ResizeQueueUrl => "resize queue (reprocessing)",
        PipelineEnvironment.ThumbnailQueueUrl => "thumbnail queue (reprocessing)",
        PipelineEnvironment.ResizeDeadLetterQueueArn => "resize dead-letter queue",
        PipelineEnvironment.ThumbnailDeadLetterQueueArn => "thumbnail dead-letter queue",
        _ => "function",
    };

    /// <summary>Decodes and checks a cursor key (base64, at least 32 bytes), wherever it came from.</summary>
    public static byte[] CursorKeyOf(string text)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new FunctionConfigurationException($"{PipelineEnvironment.CursorKey} is not valid base64.");
        }

        return key.Length >= 32
            ? key
            : throw new FunctionConfigurationException($"{PipelineEnvironment.CursorKey} holds {key.Length} bytes; it needs at least 32.");
    }

    private static bool Flag(Func<string, string?> environment, string name)
    {
        var value = environment(name)?.Trim();
        return value switch
        {
            null or "" => false,
            _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" => true,
            _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) || value == "0" => false,
            _ => throw new FunctionConfigurationException($"{name} is '{value}'; use true or false."),
        };
    }

    private static int Count(Func<string, string?> environment, string name, int fallback)
    {
        var value = environment(name)?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= 1000
            ? count
            : throw new FunctionConfigurationException($"{name} is '{value}'; it must be a whole number from 1 to 1000.");
    }
}
