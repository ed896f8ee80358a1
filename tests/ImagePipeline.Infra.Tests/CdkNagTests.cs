using Amazon.CDK;
using Amazon.CDK.Assertions;
using Cdklabs.CdkNag;
using Xunit.Sdk;
using Annotations = Amazon.CDK.Assertions.Annotations;

namespace ImagePipeline.Infra.Tests;

/// <summary>cdk-nag's AWS Solutions pack over both targets: no unsuppressed error, and every suppression has a reason.</summary>
public sealed class CdkNagTests(SynthesizedStacks stacks, ITestOutputHelper output)
{
    [Theory]
    [InlineData("aws", "retain")]
    [InlineData("localstack", "destroy")]
    public void AwsSolutionsChecks_Stack_ReportNoErrors(string target, string removalPolicy)
    {
        var app = stacks.NewApp(new Dictionary<string, object>
        {
            [StackSettings.AnonymousApiKey] = "true",
            [StackSettings.TargetKey] = target,
            [StackSettings.RemovalPolicyKey] = removalPolicy,
        });
        var stack = ImagePipelineApp.AddStack(app);
        Aspects.Of(app).Add(new AwsSolutionsChecks(new NagPackProps { Verbose = true }));

        var annotations = Annotations.FromStack(stack);
        var errors = annotations.FindError("*", Match.StringLikeRegexp("AwsSolutions-.*"));
        var warnings = annotations.FindWarning("*", Match.StringLikeRegexp("AwsSolutions-.*"));
        foreach (var warning in warnings)
        {
            output.WriteLine($"warning {warning.Id}: {warning.Entry.Data}");
        }

        var report = string.Join(System.Environment.NewLine, errors.Select(e => $"{e.Id}: {e.Entry.Data}"));
        if (errors.Length > 0)
        {
            throw new XunitException($"cdk-nag AwsSolutions errors ({errors.Length}):{System.Environment.NewLine}{report}");
        }
    }
}
