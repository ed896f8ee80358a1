namespace ImagePipeline.Cli.Tests;

/// <summary><c>login</c> and <c>logout</c> against the anonymous local host (<see cref="ApiHost"/>: no sign-in configured).</summary>
[Collection(ApiHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AnonymousSignInTests(ApiHost host)
{
    [Fact(Timeout = 60_000)]
    public async Task Login_AnonymousDeployment_SaysSoAndExitsZeroWithoutSavingAnything()
    {
        using var config = new UserConfig();

        var run = await host.RunAsync(["login"], config.Environment());

        run.AssertExitCode(0);
        Assert.Equal($"The API at {host.Url} is anonymous: it needs no sign-in.", run.Stdout.Trim());
        Assert.False(Directory.Exists(config.Folder), "Nothing is saved for an anonymous deployment.");
    }

    [Fact(Timeout = 60_000)]
    public async Task Logout_NeverSignedIn_SaysSoAndExitsZero()
    {
        using var config = new UserConfig();

        var run = await host.RunAsync(["logout"], config.Environment());

        run.AssertExitCode(0);
        Assert.StartsWith($"Not signed in to {host.Url}: no saved tokens", run.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task ApiCommands_WithAToken_StillWorkOnAnAnonymousDeployment()
    {
        using var config = new UserConfig();

        var run = await host.RunAsync(["list", "--json"], config.Environment("some-token"));

        run.AssertExitCode(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Login_ApiNotReachable_ExitsOneNamingTheUrl()
    {
        using var config = new UserConfig();

        var run = await CliRunner.RunAsync(["login", "--api", "http://127.0.0.1:9"], config.Environment());

        run.AssertExitCode(1);
        Assert.Contains("imagepipeline login: cannot reach the ImagePipeline API at http://127.0.0.1:9", run.Stderr, StringComparison.Ordinal);
    }
}
