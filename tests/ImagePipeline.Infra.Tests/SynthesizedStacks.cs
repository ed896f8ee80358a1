using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Amazon.CDK.CXAPI;
using Cdklabs.CdkNag;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// A synthesized stack: the construct, its template as assertions and as JSON, where the template was written, and what
/// cdk-nag's AWS Solutions checks reported on it during that synthesis.
/// </summary>
public sealed record Synthesized(
    string Name,
    ImagePipelineStack Stack,
    Template Template,
    JsonObject Json,
    string TemplatePath,
    IReadOnlyList<ISynthesisMessage> Messages)
{
    public JsonObject Resources => Json["Resources"]!.AsObject();

    /// <summary>Every resource of a CloudFormation type: logical id and the resource object.</summary>
    public IReadOnlyList<(string Id, JsonObject Resource)> OfType(string type) =>
        [.. Resources.Where(r => (string?)r.Value!["Type"] == type).Select(r => (r.Key, r.Value!.AsObject()))];

    public JsonObject Properties(string id) => Resources[id]!["Properties"]!.AsObject();

    /// <summary>The logical id of the resource at a construct path below the stack, e.g. <c>Originals</c>.</summary>
    public string LogicalId(string path)
    {
        var construct = Stack.Node.FindChild(path.Split('/')[0]);
        foreach (var part in path.Split('/').Skip(1))
        {
            construct = construct.Node.FindChild(part);
        }

        var resource = (CfnElement)(construct.Node.DefaultChild ?? construct);
        return Stack.GetLogicalId(resource);
    }

    public override string ToString() => Name;
}

/// <summary>
/// Synthesizes the stack once per configuration for the whole assembly (a synthesis costs seconds of node time), with a
/// prepared function package and cdk-nag's AWS Solutions checks applied, and keeps jsii's scratch files (~66 MB a start)
/// in a folder of the test output that is emptied at start and at the end. Each template is checked by every test that
/// needs it (properties, cdk-nag's findings, cfn-lint, runtimes) from this one synthesis.
/// </summary>
public sealed class SynthesizedStacks : IDisposable
{
    /// <summary>
    /// The configurations, by name: target × removal policy (the AWS ones with Cognito sign-in, the default), the AWS demo
    /// mode without sign-in, plus a stack upgraded from before the bucket was named.
    /// </summary>
    public static IReadOnlyList<string> Configurations { get; } =
        ["aws-retain", "aws-destroy", "aws-anonymous", "localstack-destroy", "localstack-retain", "aws-upgraded"];

    /// <summary>The configuration deployed on Graviton: <c>architecture=arm64</c> (the others are x86_64, the default).</summary>
    public const string Arm64Configuration = "aws-destroy";

    /// <summary>The sign-in flags of the aws-destroy configuration.</summary>
    public const string FlagsDomainPrefix = "ci-photos";
    public const int FlagsCliCallbackPort = 53999;

    /// <summary>The originals bucket name the upgraded configuration keeps (as an existing stack's output would give it).</summary>
    public const string ExistingOriginalsBucket = "imagepipeline-originals63ba965b-1abcdefghijk";

    private readonly Dictionary<string, Lazy<Synthesized>> _stacks;
    private readonly Lazy<CfnLintReport> _lint;

    public SynthesizedStacks()
    {
        ScratchRoot = Path.Combine(AppContext.BaseDirectory, "jsii-tmp");
        DeleteScratch();
        _ = Directory.CreateDirectory(ScratchRoot);
        // Read by the node process jsii starts (and by Path.GetTempPath here), so set before the first construct.
        System.Environment.SetEnvironmentVariable("TMPDIR", ScratchRoot);

        // The stack only packages the folder; a bootstrap file is what FunctionPackage requires of it.
        PackageFolder = Path.Combine(ScratchRoot, "function-package");
        _ = Directory.CreateDirectory(PackageFolder);
        File.WriteAllText(Path.Combine(PackageFolder, "bootstrap"), "#!/bin/sh\n");

        _stacks = new(StringComparer.Ordinal)
        {
            // No flags at all: what `npx cdk deploy` deploys (Cognito sign-in).
            ["aws-retain"] = new(() => Synthesize("aws-retain", new())),
            ["aws-destroy"] = new(() => Synthesize("aws-destroy", new()
            {
                [StackSettings.RemovalPolicyKey] = "destroy",
                [StackSettings.SelfSignUpKey] = "true",
                [StackSettings.AuthDomainPrefixKey] = FlagsDomainPrefix,
                [StackSettings.CliCallbackPortKey] = FlagsCliCallbackPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [StackSettings.DevOriginsKey] = "http://localhost:5173, http://127.0.0.1:5080, https://dev.example.com",
                [StackSettings.ArchitectureKey] = "arm64",
            })),
            ["aws-anonymous"] = new(() => Synthesize("aws-anonymous", new() { [StackSettings.AnonymousApiKey] = "true" })),
            // LocalStack is anonymous without being told.
            ["localstack-destroy"] = new(() => Synthesize("localstack-destroy", new()
            {
                [StackSettings.TargetKey] = "localstack",
                [StackSettings.RemovalPolicyKey] = "destroy",
                [StackSettings.DevOriginsKey] = "http://localhost:5173, http://127.0.0.1:5080",
                [StackSettings.ObjectExpiryDaysKey] = "7",
                [StackSettings.NamePrefixKey] = "ci",
            })),
            // As CI's localstack-deploy job runs it.
            ["localstack-retain"] = new(() => Synthesize("localstack-retain", new()
            {
                [StackSettings.AnonymousApiKey] = "true",
                [StackSettings.TargetKey] = "localstack",
            })),
            ["aws-upgraded"] = new(() => Synthesize("aws-upgraded", new()
            {
                [StackSettings.OriginalsBucketNameKey] = ExistingOriginalsBucket,
            })),
        };
        _lint = new(() => CfnLintReport.Run(() => [.. Configurations.Select(Get)]));
    }

    public string ScratchRoot { get; }

    public string PackageFolder { get; }

    /// <summary>The default deployment to AWS: no flags, so Cognito sign-in.</summary>
    public Synthesized Aws => Get("aws-retain");

    /// <summary>The AWS demo mode, -c anonymousApi=true: no Cognito.</summary>
    public Synthesized AwsAnonymous => Get("aws-anonymous");

    /// <summary>target=localstack, removalPolicy=destroy, dev origins, object expiry and a name prefix.</summary>
    public Synthesized LocalStack => Get("localstack-destroy");

    /// <summary>A configuration of <see cref="Configurations"/>, synthesized on first use.</summary>
    public Synthesized Get(string configuration) => _stacks[configuration].Value;

    /// <summary>cfn-lint over every configuration's template, run once (synthesizing those not made yet).</summary>
    public CfnLintReport Lint => _lint.Value;

    /// <summary>A new app with the prepared package and <paramref name="context"/>.</summary>
    public App NewApp(Dictionary<string, object> context)
    {
        context[StackSettings.FunctionPackageKey] = PackageFolder;
        return new App(new AppProps
        {
            Context = context,
            Outdir = Directory.CreateTempSubdirectory("cdk.out-").FullName,
        });
    }

    private Synthesized Synthesize(string name, Dictionary<string, object> context)
    {
        var app = NewApp(context);
        var stack = ImagePipelineApp.AddStack(app);
        Aspects.Of(app).Add(new AwsSolutionsChecks(new NagPackProps { Verbose = true }));
        var assembly = app.Synth();
        var artifact = assembly.GetStackByName(stack.StackName);
        var path = artifact.TemplateFullPath;
        var text = File.ReadAllText(path);
        return new Synthesized(name, stack, Template.FromString(text), JsonNode.Parse(text)!.AsObject(), path, artifact.Messages);
    }

    public void Dispose() => DeleteScratch();

    private void DeleteScratch()
    {
        try
        {
            if (Directory.Exists(ScratchRoot))
            {
                Directory.Delete(ScratchRoot, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: the next run empties it first.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
