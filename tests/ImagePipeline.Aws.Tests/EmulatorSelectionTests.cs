using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>The emulator fixture's order of preference, with the environment and the Docker probe given by the test.</summary>
public sealed class EmulatorSelectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Probe(bool answers, string detail)
    {
        public int Calls { get; private set; }

        public ValueTask<DockerProbeResult> RunAsync(CancellationToken ct)
        {
            Calls++;
            return ValueTask.FromResult(new DockerProbeResult(answers, detail));
        }
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public async Task ChooseAsync_EndpointSet_UsesTheEndpointWithoutAskingDocker()
    {
        var docker = new Probe(answers: true, "unix:///var/run/docker.sock");

        var choice = await EmulatorSelection.ChooseAsync(Environment(("AWS_ENDPOINT_URL", "http://localhost:4566")), docker.RunAsync, Ct);

        Assert.Equal((EmulatorBackend.ExistingEndpoint, "http://localhost:4566"), (choice.Backend, choice.Reason));
        Assert.Equal(0, docker.Calls);
    }

    [Fact]
    public async Task ChooseAsync_NoEndpointDockerAnswers_ChoosesTheLocalStackContainer()
    {
        var docker = new Probe(answers: true, "unix:///var/run/docker.sock");

        var choice = await EmulatorSelection.ChooseAsync(Environment(("AWS_ENDPOINT_URL", "")), docker.RunAsync, Ct);

        Assert.Equal(EmulatorBackend.LocalStackContainer, choice.Backend);
        Assert.Equal(
            "AWS emulators: LocalStack (localstack/localstack:4.14.0) through Testcontainers (Docker answered at unix:///var/run/docker.sock)",
            choice.ToString());
        Assert.Equal(1, docker.Calls);
    }

    [Fact]
    public async Task ChooseAsync_NoEndpointNoDocker_FallsBackToTheLocalEmulatorsSayingWhy()
    {
        var docker = new Probe(answers: false, "no Docker engine answered");

        var choice = await EmulatorSelection.ChooseAsync(Environment(), docker.RunAsync, Ct);

        Assert.Equal(EmulatorBackend.LocalEmulators, choice.Backend);
        Assert.Equal(
            "AWS emulators: DynamoDB Local + s3rver + the in-process SQS fake (LocalStack container skipped: no Docker engine answered)",
            choice.ToString());
    }

    [Fact]
    public async Task ChooseAsync_NoDockerWhereLocalStackIsRequired_FailsWithTheProbesReason()
    {
        var docker = new Probe(answers: false, "no Docker engine answered");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => EmulatorSelection.ChooseAsync(Environment(("IMAGEPIPELINE_REQUIRE_LOCALSTACK", "1")), docker.RunAsync, Ct).AsTask());

        Assert.Contains("IMAGEPIPELINE_REQUIRE_LOCALSTACK=1", error.Message, StringComparison.Ordinal);
        Assert.Contains("no Docker engine answered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChooseAsync_DockerAnswersWhereLocalStackIsRequired_ChoosesTheContainer()
    {
        var docker = new Probe(answers: true, "tcp://127.0.0.1:2375/");

        var choice = await EmulatorSelection.ChooseAsync(Environment(("IMAGEPIPELINE_REQUIRE_LOCALSTACK", "1")), docker.RunAsync, Ct);

        Assert.Equal(EmulatorBackend.LocalStackContainer, choice.Backend);
    }

    [Fact]
    public void LocalStackEnvironment_NoToken_ServesTheThreeServicesWithoutAToken()
    {
        var variables = EmulatorSelection.LocalStackEnvironment(Environment());

        Assert.Equal("s3,dynamodb,sqs", variables["SERVICES"]);
        Assert.Equal("dynamic", variables["SQS_ENDPOINT_STRATEGY"]);
        Assert.False(variables.ContainsKey("LOCALSTACK_AUTH_TOKEN"));
    }

    [Fact]
    public void LocalStackEnvironment_TokenSet_PassesItThrough()
    {
        var variables = EmulatorSelection.LocalStackEnvironment(Environment(("LOCALSTACK_AUTH_TOKEN", "ls-token")));

        Assert.Equal("ls-token", variables["LOCALSTACK_AUTH_TOKEN"]);
    }
}
