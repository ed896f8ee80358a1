using DotNet.Testcontainers.Configurations;
using Testcontainers.LocalStack;

namespace ImagePipeline.Emulators;

/// <summary>
/// LocalStack (<see cref="EmulatorSelection.LocalStackImage"/>) in a container started through Testcontainers, serving
/// S3, DynamoDB and SQS on one mapped loopback port. Testcontainers' resource reaper removes the container if the test
/// process dies before disposing it.
/// </summary>
public sealed class LocalStackContainerEmulator : IAsyncDisposable
{
    // A first run pulls the image (about 1 GB) before LocalStack starts.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly LocalStackContainer _container;

    private LocalStackContainerEmulator(LocalStackContainer container)
    {
        _container = container;
        Endpoint = new Uri(container.GetConnectionString());
    }

    /// <summary>The one endpoint of every service.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts the container with <paramref name="environment"/> (see <see cref="EmulatorSelection.LocalStackEnvironment"/>).</summary>
    public static async Task<LocalStackContainerEmulator> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var container = new LocalStackBuilder(EmulatorSelection.LocalStackImage).WithEnvironment(environment).Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await container.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LocalStackContainerEmulator(container);
    }

    /// <summary>
    /// Asks Testcontainers' own discovery (DOCKER_HOST, ~/.testcontainers.properties, the local and rootless Docker
    /// sockets), which pings each candidate, so the answer is the engine the container would start on.
    /// </summary>
    public static ValueTask<DockerProbeResult> ProbeDockerAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            return ValueTask.FromResult(TestcontainersSettings.OS.DockerEndpointAuthConfig is { } engine
                ? new DockerProbeResult(true, engine.Endpoint.ToString())
                : new DockerProbeResult(false, "no Docker engine answered at DOCKER_HOST, ~/.testcontainers.properties or the Docker sockets"));
        }
        catch (Exception e) when (e is TypeInitializationException or InvalidOperationException or IOException)
        {
            // A malformed DOCKER_HOST or properties file fails Testcontainers' settings initialisation.
            return ValueTask.FromResult(new DockerProbeResult(false, "Testcontainers could not look for a Docker engine: " + (e.InnerException ?? e).Message));
        }
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}
