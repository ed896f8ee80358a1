using Amazon.CDK;
using Amazon.CDK.Assertions;
using Amazon.CDK.AWS.SQS;
using Amazon.CDK.CXAPI;
using Cdklabs.CdkNag;
using Xunit.Sdk;
using Annotations = Amazon.CDK.Assertions.Annotations;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// cdk-nag's AWS Solutions pack over every synthesized configuration (both targets, retain and destroy, an upgraded
/// stack): no unsuppressed error, and every suppression has a reason. The pack runs during the fixture's one synthesis of
/// each; its findings are read from that cloud assembly. A positive control proves the pack runs and reports errors here,
/// so "no errors" cannot come from a pack that never ran.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CdkNagTests(SynthesizedStacks stacks, ITestOutputHelper output)
{
    public static TheoryData<string> Configurations => [.. SynthesizedStacks.Configurations];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void AwsSolutionsChecks_Stack_ReportNoErrors(string configuration)
    {
        var stack = stacks.Get(configuration);
        var findings = stack.Messages.Where(m => m.Entry.Data?.ToString()?.Contains("AwsSolutions-", StringComparison.Ordinal) == true).ToList();
        foreach (var warning in findings.Where(m => m.Level == SynthesisMessageLevel.WARNING))
        {
            output.WriteLine($"warning {warning.Id}: {warning.Entry.Data}");
        }

        var errors = findings.Where(m => m.Level == SynthesisMessageLevel.ERROR).ToList();
        if (errors.Count > 0)
        {
            var report = string.Join(System.Environment.NewLine, errors.Select(e => $"{e.Id}: {e.Entry.Data}"));
            throw new XunitException($"cdk-nag AwsSolutions errors in {configuration} ({errors.Count}):{System.Environment.NewLine}{report}");
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
