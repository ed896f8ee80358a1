using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ImagePipeline.Infra.Tests;

/// <summary>The GitHub workflows parse, hold the jobs CI relies on, and pin what they pull.</summary>
public sealed partial class WorkflowTests
{
    private const string Arm64Runner = "ubuntu-24.04-arm";

    private static readonly string s_workflows = Path.Combine(FunctionPackage.RepositoryRoot, ".github", "workflows");

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(s_workflows, file));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];

    private static YamlNode? Get(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static IEnumerable<YamlMappingNode> Steps(YamlMappingNode job) => ((YamlSequenceNode)job.Children[new YamlScalarNode("steps")]).Cast<YamlMappingNode>();

    private static string Runs(YamlMappingNode job) => string.Join('\n', Steps(job).Select(s => Get(s, "run")?.ToString()).OfType<string>());

    [Fact]
    public void Workflows_All_ParseAndPinEveryAction()
    {
        var files = Directory.GetFiles(s_workflows, "*.yml").Select(Path.GetFileName).ToList();
        Assert.Contains("ci.yml", files);
        foreach (var file in files)
        {
            var jobs = Map(Load(file!), "jobs");
            Assert.NotEmpty(jobs.Children);
            foreach (var (name, job) in jobs.Children)
            {
                // The arm64 job runs on GitHub's arm64 runner (pinned: there is no "latest" label for it).
                Assert.Equal(name.ToString() == "arm64" ? Arm64Runner : "ubuntu-latest", Get(job, "runs-on")?.ToString());
                Assert.NotNull(Get(job, "timeout-minutes"));
                foreach (var uses in Steps((YamlMappingNode)job).Select(s => Get(s, "uses")?.ToString()).OfType<string>())
                {
                    Assert.Matches(PinnedAction(), uses);
                }

            }
        }
    }

    [Fact]
    public void Ci_TestJob_RunsTheSuiteSynthesizesBothTargets()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "test");
        var runs = Runs(job);
        Assert.Contains("bash .ci/run", runs, StringComparison.Ordinal);
        Assert.Contains("npx cdk synth -o cdk.out/aws", runs, StringComparison.Ordinal);
        Assert.Contains("npx cdk synth -c anonymousApi=true", runs, StringComparison.Ordinal);
        Assert.Contains("-c target=localstack", runs, StringComparison.Ordinal);
        Assert.Contains(Steps(job), s => Get(s, "uses")?.ToString() == "actions/setup-java@v4" && Get(Get(s, "with")!, "java-version")?.ToString() == "17");
    }

    [Fact]
    public void Ci_TestJob_InstallsAPinnedCfnLintAndRequiresIt()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "test");
        var steps = Steps(job).ToList();
        var install = steps.FindIndex(s => Get(s, "run")?.ToString().Contains("pip install", StringComparison.Ordinal) == true);
        var suite = steps.FindIndex(s => Get(s, "run")?.ToString() == "bash .ci/run");
        Assert.InRange(install, 0, suite - 1);
        Assert.Matches(@"cfn-lint==\d+\.\d+\.\d+", Get(steps[install], "run")!.ToString());
        Assert.Equal("1", Get(Get(steps[suite], "env")!, CfnLintReport.RequireVariable)?.ToString());
        Assert.Contains("cfn-lint --config-file infra/cfn-lint.yaml", Runs(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_AotJob_RunsTheDefaultPackagesBootstrapTests()
    {
        // Category=Integration of the Functions tests publishes the default package (Native AOT) and runs its bootstrap
        // against DynamoDB Local (Java 17) and s3rver (npm).
        var job = Map(Map(Load("ci.yml"), "jobs"), "aot");
        Assert.Contains("dotnet test tests/ImagePipeline.Functions.Tests --filter Category=Integration", Runs(job), StringComparison.Ordinal);
        Assert.Contains("npm ci", Runs(job), StringComparison.Ordinal);
        Assert.Contains(Steps(job), s => Get(s, "uses")?.ToString() == "actions/setup-java@v4");
    }

    [Fact]
    public void Ci_Arm64Job_RunsTheArm64PackageTestsOnAnArm64Runner()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "arm64");
        Assert.Equal(Arm64Runner, Get(job, "runs-on")?.ToString());
        Assert.Contains("dotnet test tests/ImagePipeline.Functions.Tests --filter \"Category=Slow&FullyQualifiedName~Arm64\"", Runs(job), StringComparison.Ordinal);
        Assert.Contains(Steps(job), s => Get(s, "uses")?.ToString() == "actions/setup-java@v4");
    }

    [Fact]
    public void Ci_DeployJob_UsesThePinnedImageThroughTheEndpointVariable()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "localstack-deploy");
        var localstack = Map(Map(job, "services"), "localstack");
        // 4.15 and later need an auth token.
        Assert.Equal("localstack/localstack:4.14.0", Get(localstack, "image")?.ToString());
        Assert.Equal("http://localhost:4566", Get(Map(job, "env"), "AWS_ENDPOINT_URL")?.ToString());
    }

    [Fact]
    public void Ci_IntegrationJob_LeavesLocalStackToTheFixturesContainerAndRequiresIt()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "localstack-integration");
        var env = Map(job, "env");
        // The fixture prefers AWS_ENDPOINT_URL over its own container, so neither a service container nor the variable.
        Assert.Null(Get(job, "services"));
        Assert.Null(Get(env, "AWS_ENDPOINT_URL"));
        Assert.Equal("1", Get(env, "IMAGEPIPELINE_REQUIRE_LOCALSTACK")?.ToString());
    }

    [Fact]
    public void Ci_IntegrationJob_RunsTheIntegrationCategoryOfEveryProjectOnTheEmulators()
    {
        var emulatorProjects = Directory.GetFiles(Path.Combine(FunctionPackage.RepositoryRoot, "tests"), "*.Tests.csproj", SearchOption.AllDirectories)
            .Where(p => File.ReadAllText(p).Contains(@"ImagePipeline.Emulators\ImagePipeline.Emulators.csproj", StringComparison.Ordinal))
            .Select(p => $"dotnet test tests/{Path.GetFileNameWithoutExtension(p)} --filter Category=Integration")
            .Order(StringComparer.Ordinal)
            .ToList();
        var runs = Runs(Map(Map(Load("ci.yml"), "jobs"), "localstack-integration"));
        var tests = runs.Split('\n').Where(line => line.Contains("dotnet test", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(emulatorProjects);
        Assert.Equal(emulatorProjects, tests);
    }

    [Fact]
    public void Ci_DeployJob_DeploysWithPinnedCdklocalAndChecksAThumbnail()
    {
        var job = Map(Map(Load("ci.yml"), "jobs"), "localstack-deploy");
        var volumes = (YamlSequenceNode)Get(Map(Map(job, "services"), "localstack"), "volumes")!;
        Assert.Contains(volumes, v => v.ToString() == "/var/run/docker.sock:/var/run/docker.sock");

        var runs = Runs(job);
        Assert.Matches(@"aws-cdk-local@\d+\.\d+\.\d+ ", runs);
        Assert.Contains("-c target=localstack", runs, StringComparison.Ordinal);
        Assert.Contains("-c anonymousApi=true", runs, StringComparison.Ordinal);
        var script = Assert.Single(ScriptCall().Matches(runs)).Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(FunctionPackage.RepositoryRoot, script)), script);
        Assert.Contains(".ApiUrl", runs, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_PinnedCdkCli_MatchesPackageJson()
    {
        var packageJson = File.ReadAllText(Path.Combine(FunctionPackage.RepositoryRoot, "package.json"));
        var cli = CdkCliPin().Match(packageJson);
        Assert.True(cli.Success);
        Assert.Contains($"aws-cdk@{cli.Groups[1].Value}", Runs(Map(Map(Load("ci.yml"), "jobs"), "localstack-deploy")), StringComparison.Ordinal);
    }

    [Fact]
    public void Workflows_SetupNode_TakesTheNodeOfPackageJson()
    {
        var setups = Directory.GetFiles(s_workflows, "*.yml")
            .SelectMany(file => Map(Load(Path.GetFileName(file)), "jobs").Children.Values)
            .SelectMany(job => Steps((YamlMappingNode)job))
            .Where(step => Get(step, "uses")?.ToString().StartsWith("actions/setup-node@", StringComparison.Ordinal) == true)
            .ToList();

        Assert.NotEmpty(setups);
        Assert.All(setups, step =>
        {
            Assert.Equal("package.json", Get(Get(step, "with")!, "node-version-file")?.ToString());
            Assert.Null(Get(Get(step, "with")!, "node-version"));
        });
    }

    [Fact]
    public void CiRun_NodeItInstalls_SatisfiesPackageJsonEnginesAndTheReadmesNameIt()
    {
        var engines = NodeEngines().Match(File.ReadAllText(Path.Combine(FunctionPackage.RepositoryRoot, "package.json")));
        var pin = NodePin().Match(File.ReadAllText(Path.Combine(FunctionPackage.RepositoryRoot, ".ci", "run")));
        Assert.True(engines.Success, "package.json names no engines.node of the form ^MAJOR.MINOR.PATCH");
        Assert.True(pin.Success, ".ci/run pins no node_pin=MAJOR.MINOR.PATCH");

        var minimum = Version.Parse(engines.Groups[1].Value);
        var pinned = Version.Parse(pin.Groups[1].Value);
        Assert.Equal(minimum.Major, pinned.Major);
        Assert.True(pinned >= minimum, $".ci/run's Node {pinned} is older than package.json's ^{minimum}");
        foreach (var readme in new[] { "README.md", Path.Combine("infra", "README.md") })
        {
            Assert.Contains($"Node.js {minimum.Major}", File.ReadAllText(Path.Combine(FunctionPackage.RepositoryRoot, readme)), StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("\"node\": \"\\^(\\d+\\.\\d+\\.\\d+)\"")]
    private static partial Regex NodeEngines();

    [GeneratedRegex(@"^node_pin=(\d+\.\d+\.\d+)$", RegexOptions.Multiline)]
    private static partial Regex NodePin();

    [GeneratedRegex(@"^[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$")]
    private static partial Regex PinnedAction();

    [GeneratedRegex(@"bash (infra/scripts/[\w.-]+\.sh)")]
    private static partial Regex ScriptCall();

    [GeneratedRegex("\"aws-cdk\": \"(\\d+\\.\\d+\\.\\d+)\"")]
    private static partial Regex CdkCliPin();
}
