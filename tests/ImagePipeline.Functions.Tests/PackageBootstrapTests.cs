using System.Reflection;
using System.Text.Json;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Emulators;
using ImagePipeline.Functions.Events;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// Each package's bootstrap under the fake Runtime API, the way Lambda starts it: the api function answers from the
/// emulators' catalog on the libvips bundled in that package (never a system copy: this machine has Debian's 8.14).
/// The default package also runs every other function test; these make sure the options start and answer too.
/// </summary>
public abstract class PackageBootstrapTests(PublishedPackage package, AwsEmulators emulators)
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>What the bootstrap is started through (qemu-user for arm64 on x64); empty to start it directly.</summary>
    protected virtual IReadOnlyList<string> Launcher => [];

    protected PublishedPackage Package => package;

    protected AwsEmulators Emulators => emulators;

    [Fact]
    public async Task Api_HealthAndAnImage_AnswerOnTheBundledLibvips()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (id, _) = await deployment.SeedAsync("photos/camera-gps.jpg", Token);
        var environment = deployment.Environment("api");
        Arm64Emulation.AddTo(environment);
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment, Launcher);

        var health = await InvokeApiAsync(api, "/v1/health");
        Assert.Equal(200, health.StatusCode);
        Assert.Contains("jpeg", JsonDocument.Parse(health.Body).RootElement.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        var image = await InvokeApiAsync(api, $"/v1/images/{id}");
        Assert.Equal(200, image.StatusCode);
        Assert.Equal("pending", JsonDocument.Parse(image.Body).RootElement.GetProperty("status").GetString());

        await api.StopAsync();
        AssertBundledLibvips(api);
    }

    /// <summary>The init line names the libvips the engine runs on: the package's own, at the version the build bundles.</summary>
    private protected void AssertBundledLibvips(BootstrapProcess process)
    {
        var init = process.JsonLines
            .Single(l => l.TryGetProperty("messageTemplate", out var template) && template.GetString()!.StartsWith("Function {Function} initialised", StringComparison.Ordinal))
            .GetProperty("properties");
        Assert.Equal(Path.Combine(package.Folder, "runtimes", package.Kind.RuntimeIdentifier, "native", "libvips.so.42"), init.GetProperty("LibvipsSource").GetString());
        var bundled = typeof(Imaging.LibvipsImageEngine).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BundledLibvips").Value;
        Assert.Equal(bundled, init.GetProperty("Libvips").GetString());
    }

    private static async Task<HttpApiResponse> InvokeApiAsync(BootstrapProcess api, string path)
    {
        var result = await api.InvokeAsync(Deployment.ApiEvent("GET", path));
        Assert.False(result.IsError, $"GET {path}: {result.Body}{Environment.NewLine}{api.Output}");
        return JsonSerializer.Deserialize(result.Body, FunctionJsonContext.Default.HttpApiResponse)!;
    }
}

/// <summary>The default package, Native AOT x86_64.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AotBootstrapTests(AotPackage package, AwsEmulators emulators) : PackageBootstrapTests(package, emulators);

/// <summary>The x86_64 option, ReadyToRun: the api, and a resize as the stage functions run it.</summary>
[Collection(ReadyToRunCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ReadyToRunBootstrapTests(ReadyToRunPackage package, AwsEmulators emulators) : PackageBootstrapTests(package, emulators)
{
    [Fact]
    public async Task Resize_APhoto_RecordsItsRenditions()
    {
        var deployment = await Deployment.CreateAsync(Emulators, Token);
        var (id, body) = await deployment.SeedAsync("photos/camera-gps.jpg", Token);
        await using var resize = BootstrapProcess.Start(Package.Bootstrap, deployment.Environment("resize"));

        var result = await resize.InvokeAsync(Deployment.SqsBatch(("m-1", body, 1)));

        Assert.False(result.IsError, result.Body + resize.Output);
        Assert.Empty(Deployment.Failures(result.Body));
        var record = (await deployment.Catalog.GetAsync(id, Token))!;
        Assert.Equal(StageState.Done, record.ResizeState);
        Assert.Equal(["w320", "w640", "w1280", "w2048"], record.Renditions!.Select(r => r.Name));
        await resize.StopAsync();
        AssertBundledLibvips(resize);
    }
}

/// <summary>The arm64 package, ReadyToRun, under qemu-user on an x64 machine (natively on an arm64 one).</summary>
[Collection(Arm64Collection.Name)]
[Trait("Category", "Slow")]
public sealed class Arm64BootstrapTests(Arm64Package package, AwsEmulators emulators) : PackageBootstrapTests(package, emulators)
{
    protected override IReadOnlyList<string> Launcher
    {
        get
        {
            var launcher = Arm64Emulation.Launcher(out var missing);
            if (launcher is null)
            {
                Assert.Skip(missing!);
            }

            return launcher;
        }
    }
}
