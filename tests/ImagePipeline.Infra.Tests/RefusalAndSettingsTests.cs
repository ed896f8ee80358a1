namespace ImagePipeline.Infra.Tests;

public sealed class RefusalAndSettingsTests(SynthesizedStacks stacks)
{
    [Fact]
    public void Program_WithoutFlags_NoLongerRefusesAnything()
    {
        // `npx cdk bootstrap` synthesizes the app too: with no flags it must work, so there is no consent check left.
        Assert.DoesNotContain(typeof(ImagePipelineStack).GetMethods(), m => m.Name == "RequireApiConsent");
        var program = File.ReadAllText(Path.Combine(FunctionPackage.RepositoryRoot, "infra", "ImagePipeline.Infra", "Program.cs"));
        Assert.DoesNotContain("Refusing", program, StringComparison.Ordinal);
    }

    [Fact]
    public void FromContext_Nothing_GivesSafeDefaults()
    {
        var settings = StackSettings.FromContext(_ => null, _ => null);
        Assert.Equal(DeploymentTarget.Aws, settings.Target);
        Assert.False(settings.AnonymousApi);
        Assert.True(settings.SignIn);
        Assert.False(settings.SelfSignUp);
        Assert.Equal(ImagePipeline.Core.Services.SignInDefaults.CliCallbackPort, settings.CliCallbackPort);
        Assert.Equal(53682, settings.CliCallbackPort);
        Assert.Null(settings.AuthDomainPrefix);
        Assert.True(settings.Retain);
        Assert.True(settings.DeletionProtection);
        Assert.Empty(settings.DevOrigins);
        Assert.Null(settings.ObjectExpiryDays);
        Assert.Null(settings.FunctionPackage);
        Assert.Equal(FunctionArchitecture.X86_64, settings.Architecture);
        Assert.Equal(FunctionBuild.NativeAot, settings.FunctionBuild);
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
    [InlineData(StackSettings.SelfSignUpKey, "maybe")]
    [InlineData(StackSettings.CliCallbackPortKey, "80")]
    [InlineData(StackSettings.CliCallbackPortKey, "65536")]
    [InlineData(StackSettings.CliCallbackPortKey, "port")]
    [InlineData(StackSettings.CliCallbackPortKey, "-1")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "Photos")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "-photos")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "photos-")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "my_photos")]
    [InlineData(StackSettings.ArchitectureKey, "amd64")]
    [InlineData(StackSettings.ArchitectureKey, "arm")]
    [InlineData(StackSettings.FunctionBuildKey, "jit")]
    [InlineData(StackSettings.FunctionBuildKey, "native")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "photos.example")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "myaws-photos")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "amazonphotos")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "cognito1")]
    [InlineData(StackSettings.AuthDomainPrefixKey, "a123456789012345678901234567890123456789012345678901234567890123")]
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


    [Theory]
    [InlineData("aws", null, true)]
    [InlineData("aws", "false", true)]
    [InlineData("aws", "true", false)]
    [InlineData("localstack", null, false)]
    [InlineData("localstack", "false", false)]
    public void SignIn_TargetAndAnonymousApi_DecideIt(string target, string? anonymousApi, bool signIn)
    {
        var settings = StackSettings.FromContext(k => k switch
        {
            StackSettings.TargetKey => target,
            StackSettings.AnonymousApiKey => anonymousApi,
            _ => null,
        }, _ => null);
        Assert.Equal(signIn, settings.SignIn);
    }

    [Fact]
    public void FromContext_SignInFlags_AreRead()
    {
        var settings = StackSettings.FromContext(k => k switch
        {
            StackSettings.SelfSignUpKey => "true",
            StackSettings.CliCallbackPortKey => "49152",
            StackSettings.AuthDomainPrefixKey => " my-photos-1 ",
            _ => null,
        }, _ => null);
        Assert.True(settings.SelfSignUp);
        Assert.Equal(49152, settings.CliCallbackPort);
        Assert.Equal("my-photos-1", settings.AuthDomainPrefix);
    }

    [Theory]
    [Trait("Category", "Integration")] // tokens: needs jsii's node process
    [InlineData("ImagePipeline", "imagepipeline")]
    [InlineData("ci-ImagePipeline", "ci-imagepipeline")]
    [InlineData("aws-ImagePipeline", "imagepipeline")]
    [InlineData("myAmazon-dev-ImagePipeline", "my-dev-imagepipeline")]
    [InlineData("Cognito-ImagePipeline", "imagepipeline")]
    public void DefaultDomainPrefix_StackName_IsLowerCaseWithoutReservedWordsAndTheAccount(string stackName, string expected)
    {
        var stack = new Amazon.CDK.Stack(stacks.NewApp([]), "PrefixProbe");
        var json = System.Text.Json.JsonSerializer.SerializeToNode(stack.Resolve(PipelineSignIn.DefaultDomainPrefix(stackName)))!;
        var join = json["Fn::Join"]!.AsArray();
        Assert.Equal("-", (string?)join[0]);
        Assert.Equal(expected, (string?)join[1]![0]);
        Assert.Equal("AWS::AccountId", (string?)join[1]![1]!["Ref"]);
        Assert.Matches("^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])$", expected);
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

    [Theory]
    [InlineData("x86_64", null, FunctionArchitecture.X86_64, FunctionBuild.NativeAot)]
    [InlineData("x86_64", "readytorun", FunctionArchitecture.X86_64, FunctionBuild.ReadyToRun)]
    [InlineData(null, "aot", FunctionArchitecture.X86_64, FunctionBuild.NativeAot)]
    [InlineData("ARM64", null, FunctionArchitecture.Arm64, FunctionBuild.ReadyToRun)]
    [InlineData("arm64", "readytorun", FunctionArchitecture.Arm64, FunctionBuild.ReadyToRun)]
    public void FromContext_ArchitectureAndBuild_AreRead(string? architecture, string? build, FunctionArchitecture expectedArchitecture, FunctionBuild expectedBuild)
    {
        var settings = StackSettings.FromContext(k => k switch
        {
            StackSettings.ArchitectureKey => architecture,
            StackSettings.FunctionBuildKey => build,
            _ => null,
        }, _ => null);
        Assert.Equal(expectedArchitecture, settings.Architecture);
        Assert.Equal(expectedBuild, settings.FunctionBuild);
    }

    [Fact]
    public void FromContext_Arm64WithNativeAot_IsRefusedWithTheReason()
    {
        var error = Assert.Throws<ArgumentException>(() => StackSettings.FromContext(k => k switch
        {
            StackSettings.ArchitectureKey => "arm64",
            StackSettings.FunctionBuildKey => "aot",
            _ => null,
        }, _ => null));
        Assert.Contains($"'{StackSettings.FunctionBuildKey}=aot'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReadyToRun", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_FolderWithoutBootstrap_SaysWhatToRun()
    {
        var folder = Directory.CreateTempSubdirectory("no-bootstrap-");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => FunctionPackage.Resolve(folder.FullName, FunctionArchitecture.Arm64, FunctionBuild.ReadyToRun));
            Assert.Contains(FunctionPackage.PublishCommand(FunctionArchitecture.Arm64, FunctionBuild.ReadyToRun), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(62, FunctionArchitecture.Arm64, "x86_64")]
    [InlineData(183, FunctionArchitecture.X86_64, "arm64")]
    public void Resolve_BootstrapForTheOtherArchitecture_IsRefused(int elfMachine, FunctionArchitecture architecture, string found)
    {
        var folder = Directory.CreateTempSubdirectory("other-architecture-");
        try
        {
            // An ELF header: magic, 64-bit, little-endian, version 1, then e_type (executable) and e_machine at 0x12.
            var header = new byte[64];
            "\u007fELF"u8.CopyTo(header);
            (header[4], header[5], header[6], header[0x10], header[0x12], header[0x13]) = (2, 1, 1, 2, (byte)elfMachine, (byte)(elfMachine >> 8));
            File.WriteAllBytes(Path.Combine(folder.FullName, FunctionPackage.BootstrapFileName), header);

            var error = Assert.Throws<InvalidOperationException>(() => FunctionPackage.Resolve(folder.FullName, architecture, FunctionBuild.ReadyToRun));
            Assert.Contains($"a bootstrap for {found}", error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{StackSettings.ArchitectureKey}'", error.Message, StringComparison.Ordinal);

            // The same folder for its own architecture is used as given.
            var own = architecture == FunctionArchitecture.Arm64 ? FunctionArchitecture.X86_64 : FunctionArchitecture.Arm64;
            Assert.Equal(folder.FullName, FunctionPackage.Resolve(folder.FullName, own, FunctionBuild.ReadyToRun));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(FunctionArchitecture.X86_64, FunctionBuild.NativeAot, "release_linux-x64", "-r linux-x64")]
    [InlineData(FunctionArchitecture.X86_64, FunctionBuild.ReadyToRun, "release_linux-x64_readytorun", "-r linux-x64 -p:PublishAot=false")]
    [InlineData(FunctionArchitecture.Arm64, FunctionBuild.ReadyToRun, "release_linux-arm64", "-r linux-arm64")]
    public void DefaultFolder_EachPackage_IsItsPublishOutput(FunctionArchitecture architecture, FunctionBuild build, string folder, string arguments)
    {
        Assert.True(File.Exists(Path.Combine(FunctionPackage.RepositoryRoot, "cdk.json")));
        Assert.EndsWith(Path.Combine("artifacts", "publish", "ImagePipeline.Functions", folder), FunctionPackage.DefaultFolder(architecture, build), StringComparison.Ordinal);
        Assert.Equal($"dotnet publish src/ImagePipeline.Functions -c Release {arguments}", FunctionPackage.PublishCommand(architecture, build));
        Assert.True(File.Exists(Path.Combine(FunctionPackage.WebRoot, "index.html")));
    }
}
