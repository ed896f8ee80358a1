using ImagePipeline.Core.Services;
using Xunit.Sdk;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// What makes a template deployable on today's AWS, for every synthesized configuration: each function runs on
/// <c>provided.al2023</c> (or a managed runtime of the allow-list below), no aws-cdk-lib helper function or custom
/// resource is left, and cfn-lint reports nothing.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeployableTests(SynthesizedStacks stacks, ITestOutputHelper output)
{
    /// <summary>The runtime of the pipeline's functions: our own bootstrap on Amazon Linux 2023 (supported until 2029).</summary>
    public const string ProvidedRuntime = "provided.al2023";

    /// <summary>
    /// Managed runtimes a function may use, should one ever be needed: only the newest of each language, whose deprecation
    /// is more than 12 months away (Node.js 24 is maintained until April 2028, Python 3.14 until October 2030). Review when cfn-lint's E2533/W1034 say
    /// otherwise; never add a runtime whose deprecation date is within 12 months.
    /// </summary>
    public static IReadOnlyList<string> AllowedManagedRuntimes { get; } = ["nodejs24.x", "python3.14"];

    public static TheoryData<string> Configurations => [.. SynthesizedStacks.Configurations];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Functions_Every_RunOnProvidedAl2023OrAnAllowedRuntime(string configuration)
    {
        var stack = stacks.Get(configuration);
        var functions = stack.OfType("AWS::Lambda::Function");
        Assert.NotEmpty(functions);
        foreach (var (id, function) in functions)
        {
            // A runtime computed in the template (aws-cdk-lib's LatestNodeRuntimeMap) cannot be checked: refused too.
            var runtime = function["Properties"]!["Runtime"];
            Assert.True(runtime is System.Text.Json.Nodes.JsonValue, $"{configuration}: {id} has a computed runtime {runtime?.ToJsonString()}");
            var name = runtime!.GetValue<string>();
            Assert.True(name == ProvidedRuntime || AllowedManagedRuntimes.Contains(name), $"{configuration}: {id} runs on {name}");
        }

        // Today: exactly the pipeline's four, all on the bootstrap.
        Assert.Equal(
            PipelineEnvironment.Handlers.Order(StringComparer.Ordinal),
            functions.Select(f => (string)f.Resource["Properties"]!["Handler"]!).Order(StringComparer.Ordinal));
        Assert.All(functions, f => Assert.Equal(ProvidedRuntime, (string?)f.Resource["Properties"]!["Runtime"]));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Functions_Every_RunOnTheArchitectureTheContextChose(string configuration)
    {
        // architecture=arm64 in one configuration; x86_64 (the default, no flag) in the others.
        var expected = configuration == SynthesizedStacks.Arm64Configuration ? "arm64" : "x86_64";
        var functions = stacks.Get(configuration).OfType("AWS::Lambda::Function");
        Assert.NotEmpty(functions);
        Assert.All(functions, f => Assert.Equal(expected, Assert.Single(f.Resource["Properties"]!["Architectures"]!.AsArray())!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Template_Always_HasNoCustomResourceOrLayer(string configuration)
    {
        var stack = stacks.Get(configuration);
        Assert.DoesNotContain(stack.Resources, r =>
            ((string?)r.Value!["Type"])!.StartsWith("Custom::", StringComparison.Ordinal)
            || (string?)r.Value["Type"] is "AWS::CloudFormation::CustomResource" or "AWS::Lambda::LayerVersion");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void CfnLint_Template_ReportsNothing(string configuration)
    {
        var report = stacks.Lint;
        if (report.Missing is { } missing)
        {
            if (System.Environment.GetEnvironmentVariable(CfnLintReport.RequireVariable) == "1")
            {
                throw new XunitException(missing);
            }

            Assert.Skip(missing);
        }

        output.WriteLine($"{report.Version}, settings {CfnLintReport.ConfigFile}");
        var findings = report.Findings[configuration];
        foreach (var finding in findings)
        {
            output.WriteLine(finding.ToString());
        }

        // Errors, warnings and informational findings alike: what is accepted is ignored in infra/cfn-lint.yaml, with its reason.
        if (findings.Count > 0)
        {
            throw new XunitException($"cfn-lint on {configuration} ({stacks.Get(configuration).TemplatePath}):{System.Environment.NewLine}" +
                string.Join(System.Environment.NewLine, findings));
        }
    }

    [Fact]
    public void CfnLintSettings_EveryIgnoredRule_HasAReason()
    {
        // The one place where rules are ignored: each entry of ignore_checks carries a comment saying why.
        var lines = File.ReadAllLines(CfnLintReport.ConfigFile);
        var inIgnore = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("ignore_checks:", StringComparison.Ordinal))
            {
                inIgnore = !line.Contains("[]", StringComparison.Ordinal);
                continue;
            }

            if (inIgnore && line.TrimStart().StartsWith("- ", StringComparison.Ordinal))
            {
                Assert.Matches(@"^\s*- [EWI]\d{4}\s+#\s*\S.{9,}", line);
            }
            else if (!line.StartsWith(' ') && !line.StartsWith('#'))
            {
                inIgnore = false;
            }
        }
    }
}
