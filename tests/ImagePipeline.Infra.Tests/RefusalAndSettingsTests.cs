namespace ImagePipeline.Infra.Tests;

public sealed class RefusalAndSettingsTests(SynthesizedStacks stacks)
{
    [Theory]
    [Trait("Category", "Integration")] // builds a CDK App: starts jsii's node process
    [InlineData(null)]
    [InlineData("false")]
    public void AddStack_WithoutAnonymousApiConsent_RefusesAndSaysWhy(string? anonymousApi)
    {
        var context = new Dictionary<string, object>();
        if (anonymousApi is not null)
        {
            context[StackSettings.AnonymousApiKey] = anonymousApi;
        }

        var app = stacks.NewApp(context);
        var error = Assert.Throws<InvalidOperationException>(() => ImagePipelineApp.AddStack(app));
        Assert.Contains("-c anonymousApi=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("no authorizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromContext_Nothing_GivesSafeDefaults()
    {
        var settings = StackSettings.FromContext(_ => null, _ => null);
        Assert.Equal(DeploymentTarget.Aws, settings.Target);
        Assert.False(settings.AnonymousApi);
        Assert.True(settings.Retain);
        Assert.True(settings.DeletionProtection);
        Assert.Empty(settings.DevOrigins);
        Assert.Null(settings.ObjectExpiryDays);
        Assert.Null(settings.FunctionPackage);
        Assert.Equal("ImagePipeline", settings.StackName);
    }

    [Theory]
    [InlineData(StackSettings.TargetKey, "azure")]
    [InlineData(StackSettings.AnonymousApiKey, "yes")]
    [InlineData(StackSettings.RemovalPolicyKey, "snapshot")]
    [InlineData(StackSettings.DevOriginsKey, "*")]
    [InlineData(StackSettings.DevOriginsKey, "https://*.example.com")]
    [InlineData(StackSettings.DevOriginsKey, "http://localhost:5173/app")]
    [InlineData(StackSettings.DevOriginsKey, "localhost:5173")]
    [InlineData(StackSettings.ObjectExpiryDaysKey, "0")]
    [InlineData(StackSettings.ObjectExpiryDaysKey, "ten")]
    [InlineData(StackSettings.NamePrefixKey, "1abc")]
    [InlineData(StackSettings.NamePrefixKey, "a_b")]
    [InlineData(StackSettings.NamePrefixKey, "xn--abc")]
    [InlineData(StackSettings.NamePrefixKey, "sthree")]
    [InlineData(StackSettings.OriginalsBucketNameKey, "Upper-Case")]
    [InlineData(StackSettings.OriginalsBucketNameKey, "ab")]
    [InlineData(StackSettings.OriginalsBucketNameKey, "a..b")]
    [InlineData(StackSettings.OriginalsBucketNameKey, "bucket-")]
    [InlineData(StackSettings.OriginalsBucketNameKey, "arn:aws:s3:::bucket")]
    public void FromContext_InvalidValue_NamesTheContextKey(string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => StackSettings.FromContext(k => k == key ? value : null, _ => null));
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromContext_OriginalsBucketName_IsKeptForAnUpgradedStack()
    {
        var settings = StackSettings.FromContext(k => k == StackSettings.OriginalsBucketNameKey ? " imagepipeline-originals63ba965b-1x2y3z4w5v6u " : null, _ => null);
        Assert.Equal("imagepipeline-originals63ba965b-1x2y3z4w5v6u", settings.OriginalsBucketName);
        Assert.Null(StackSettings.FromContext(_ => null, _ => null).OriginalsBucketName);
    }

    [Theory]
    [InlineData("ImagePipeline", "imagepipeline")]
    [InlineData("ci-ImagePipeline", "ci-imagepipeline")]
    [InlineData("abcdefghijklmnopqrst-ImagePipeline", "abcdefghijklmnopqrst-imagepipel")]
    [InlineData("abcdefghijklmnopqr--ImagePipeline", "abcdefghijklmnopqr--imagepipeli")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123-ImagePipeline", "abcdefghijklmnopqrstuvwxyz0123")]
    public void OriginalsName_AnyStackName_FitsSixtyThreeCharacters(string stackName, string expected)
    {
        var part = PipelineStorage.StackPart(stackName);

        Assert.Equal(expected, part);
        // stack part, "-originals", "-" + 12-digit account, "-" + 8-digit fragment
        Assert.True(part.Length + "-originals".Length + 13 + 9 <= 63, part);
        Assert.False(part.EndsWith('-'));
    }


    [Fact]
    public void FromContext_DestroyWithoutProtectionFlag_TurnsProtectionOff()
    {
        var settings = StackSettings.FromContext(k => k == StackSettings.RemovalPolicyKey ? "destroy" : null, _ => null);
        Assert.False(settings.Retain);
        Assert.False(settings.DeletionProtection);
    }

    [Fact]
    public void FromContext_PackageFromEnvironment_IsUsedWhenNoContext()
    {
        var settings = StackSettings.FromContext(_ => null, v => v == StackSettings.FunctionPackageVariable ? "/opt/package" : null);
        Assert.Equal("/opt/package", settings.FunctionPackage);

        var fromContext = StackSettings.FromContext(k => k == StackSettings.FunctionPackageKey ? "/ctx" : null, _ => "/env");
        Assert.Equal("/ctx", fromContext.FunctionPackage);
    }

    [Fact]
    public void Resolve_FolderWithoutBootstrap_SaysWhatToRun()
    {
        var folder = Directory.CreateTempSubdirectory("no-bootstrap-");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => FunctionPackage.Resolve(folder.FullName));
            Assert.Contains(FunctionPackage.PublishCommand, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void DefaultFolder_Always_IsThePublishOutputOfTheFunctions()
    {
        Assert.True(File.Exists(Path.Combine(FunctionPackage.RepositoryRoot, "cdk.json")));
        Assert.EndsWith(Path.Combine("artifacts", "publish", "ImagePipeline.Functions", "release_linux-x64"), FunctionPackage.DefaultFolder, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(FunctionPackage.WebRoot, "index.html")));
    }
}
