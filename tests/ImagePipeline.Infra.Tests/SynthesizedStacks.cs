using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace ImagePipeline.Infra.Tests;

/// <summary>A synthesized stack: the construct, its template as assertions and as JSON.</summary>
public sealed record Synthesized(ImagePipelineStack Stack, Template Template, JsonObject Json)
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
}

/// <summary>
/// Synthesizes the stack once per configuration for the whole assembly (a synthesis costs seconds of node time), with a
/// prepared function package, and keeps jsii's scratch files (~66 MB a start) in a folder of the test output that is
/// emptied at start and at the end.
/// </summary>
public sealed class SynthesizedStacks : IDisposable
{
    private readonly Lazy<Synthesized> _aws;
    private readonly Lazy<Synthesized> _localStack;

    public SynthesizedStacks()
    {
        ScratchRoot = Path.Combine(AppContext.BaseDirectory, "jsii-tmp");
        DeleteScratch();
        _ = Directory.CreateDirectory(ScratchRoot);
        // Read by the node process jsii starts (and by Path.GetTempPath here), so set before the first construct.
        System.Environment.SetEnvironmentVariable("TMPDIR", ScratchRoot);
        System.Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");

        // The stack only packages the folder; a bootstrap file is what FunctionPackage requires of it.
        PackageFolder = Path.Combine(ScratchRoot, "function-package");
        _ = Directory.CreateDirectory(PackageFolder);
        File.WriteAllText(Path.Combine(PackageFolder, "bootstrap"), "#!/bin/sh\n");

        _aws = new(() => Synthesize(new() { [StackSettings.AnonymousApiKey] = "true" }));
        _localStack = new(() => Synthesize(new()
        {
            [StackSettings.AnonymousApiKey] = "true",
            [StackSettings.TargetKey] = "localstack",
            [StackSettings.RemovalPolicyKey] = "destroy",
            [StackSettings.DevOriginsKey] = "http://localhost:5173, http://127.0.0.1:5080",
            [StackSettings.ObjectExpiryDaysKey] = "7",
            [StackSettings.NamePrefixKey] = "ci",
        }));
    }

    public string ScratchRoot { get; }

    public string PackageFolder { get; }

    /// <summary>The default deployment to AWS (with the required -c anonymousApi=true).</summary>
    public Synthesized Aws => _aws.Value;

    /// <summary>target=localstack, removalPolicy=destroy, dev origins, object expiry and a name prefix.</summary>
    public Synthesized LocalStack => _localStack.Value;

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

    public Synthesized Synthesize(Dictionary<string, object> context)
    {
        var app = NewApp(context);
        var stack = ImagePipelineApp.AddStack(app);
        var assembly = app.Synth();
        var text = File.ReadAllText(assembly.GetStackByName(stack.StackName).TemplateFullPath);
        return new Synthesized(stack, Template.FromString(text), JsonNode.Parse(text)!.AsObject());
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
