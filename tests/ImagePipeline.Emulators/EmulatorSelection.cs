namespace ImagePipeline.Emulators;

/// <summary>What serves the AWS APIs to the integration tests.</summary>
public enum EmulatorBackend
{
    /// <summary>An endpoint already running (AWS_ENDPOINT_URL): LocalStack or anything AWS-compatible.</summary>
    ExistingEndpoint,

    /// <summary>LocalStack in a container the fixture starts through Testcontainers.</summary>
    LocalStackContainer,

    /// <summary>DynamoDB Local and s3rver started by the fixture, SQS served by <see cref="SqsFake"/> in process.</summary>
    LocalEmulators,
}

/// <summary>The fixture's choice and the fact that decided it.</summary>
public sealed record EmulatorChoice(EmulatorBackend Backend, string Reason)
{
    /// <summary>What serves the APIs, for reports.</summary>
    public string Description => Backend switch
    {
        EmulatorBackend.ExistingEndpoint => "the endpoint in " + EmulatorSelection.EndpointVariable,
        EmulatorBackend.LocalStackContainer => $"LocalStack ({EmulatorSelection.LocalStackImage}) through Testcontainers",
        _ => "DynamoDB Local + s3rver + the in-process SQS fake",
    };

    /// <summary>The one line the fixture logs.</summary>
    public override string ToString() => $"AWS emulators: {Description} ({Reason})";
}

/// <summary>Whether a Docker engine answered, and where (or why none did).</summary>
public sealed record DockerProbeResult(bool Answers, string Detail);

/// <summary>
/// The fixture's order of preference: an existing endpoint, then LocalStack in a container when a Docker engine answers,
/// then the emulators that need no Docker. Pure apart from the probe, which the caller passes in.
/// </summary>
public static class EmulatorSelection
{
    public const string EndpointVariable = "AWS_ENDPOINT_URL";

    /// <summary>Set to 1 where LocalStack must be used (CI's localstack-integration job): no Docker is then an error, not a fallback.</summary>
    public const string RequireLocalStackVariable = "IMAGEPIPELINE_REQUIRE_LOCALSTACK";

    public const string AuthTokenVariable = "LOCALSTACK_AUTH_TOKEN";

    /// <summary>The last LocalStack tag that runs without <see cref="AuthTokenVariable"/>; 4.15 and later need one.</summary>
    public const string LocalStackImage = "localstack/localstack:4.14.0";

    /// <summary>Chooses the backend; <paramref name="probeDocker"/> runs only when no endpoint is given.</summary>
    public static async ValueTask<EmulatorChoice> ChooseAsync(
        Func<string, string?> environment, Func<CancellationToken, ValueTask<DockerProbeResult>> probeDocker, CancellationToken ct)
    {
        if (environment(EndpointVariable) is { Length: > 0 } endpoint)
        {
            return new EmulatorChoice(EmulatorBackend.ExistingEndpoint, endpoint);
        }

        var docker = await probeDocker(ct).ConfigureAwait(false);
        if (docker.Answers)
        {
            return new EmulatorChoice(EmulatorBackend.LocalStackContainer, "Docker answered at " + docker.Detail);
        }

        if (environment(RequireLocalStackVariable) == "1")
        {
            throw new InvalidOperationException(
                $"{RequireLocalStackVariable}=1 but the LocalStack container cannot start: {docker.Detail}. " +
                $"Start a Docker engine, or set {EndpointVariable} to a running LocalStack.");
        }

        return new EmulatorChoice(EmulatorBackend.LocalEmulators, "LocalStack container skipped: " + docker.Detail);
    }

    /// <summary>
    /// The container's environment: the three services the tests use, started with the container rather than on the
    /// first request (which would then race the SDK's timeouts), queue URLs that name the host and mapped port the client
    /// called instead of the container's own 4566, and the auth token when the caller has one.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LocalStackEnvironment(Func<string, string?> environment)
    {
        var variables = new Dictionary<string, string>
        {
            ["SERVICES"] = "s3,dynamodb,sqs",
            ["EAGER_SERVICE_LOADING"] = "1",
            ["SQS_ENDPOINT_STRATEGY"] = "dynamic",
        };
        if (environment(AuthTokenVariable) is { Length: > 0 } token)
        {
            variables[AuthTokenVariable] = token;
        }

        return variables;
    }
}
