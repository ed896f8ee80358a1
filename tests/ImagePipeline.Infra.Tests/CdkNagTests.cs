using Amazon.CDK;
using Amazon.CDK.Assertions;
using Amazon.CDK.AWS.SQS;
using Cdklabs.CdkNag;
using Xunit.Sdk;
using Annotations = Amazon.CDK.Assertions.Annotations;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// cdk-nag's AWS Solutions pack over both targets: no unsuppressed error, and every suppression has a reason. A positive
/// control proves the pack runs and reports errors here, so "no errors" cannot come from a pack that never ran.
/// </summary>
[Trait("Category", "Integration")]
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

    [Fact]
    public void AwsSolutionsChecks_BareQueueWithoutSslEnforcement_ReportsSqsErrors()
    {
        var app = stacks.NewApp([]);
        var stack = new Stack(app, "NagPositiveControl");
        _ = new Queue(stack, "BareQueue");
        Aspects.Of(app).Add(new AwsSolutionsChecks(new NagPackProps { Verbose = true }));

        var errors = Annotations.FromStack(stack).FindError("*", Match.StringLikeRegexp("AwsSolutions-SQS.*"));

        Assert.Contains(errors, e => e.Entry.Data?.ToString()?.Contains("AwsSolutions-SQS4", StringComparison.Ordinal) == true);
    }
}
