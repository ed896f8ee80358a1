using System.Text.Json.Nodes;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// The template diff of an upgrade from the release before native notifications (Upgrade/previous-release.json, the
/// aws/retain template of commit aa63a92): what is removed, that nothing holding data is replaced, and that an upgraded
/// stack (<c>-c originalsBucketName=…</c>) keeps its originals bucket as it is. infra/README.md, "Upgrading a deployed
/// stack", says what the operator does around it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UpgradeTests(SynthesizedStacks stacks)
{
    /// <summary>Everything the previous release had that this one removes, by type.</summary>
    private static readonly HashSet<string> s_removedTypes =
    [
        "Custom::S3BucketNotifications",   // replaced by the bucket's own NotificationConfiguration
        "Custom::CDKBucketDeployment",     // the page ships with the api function
        "AWS::Lambda::LayerVersion",       // the AWS CLI layer of the web deployment
        "AWS::CloudFront::OriginAccessControl",
    ];

    private static readonly Lazy<JsonObject> s_previous = new(() => JsonNode.Parse(File.ReadAllText(Path.Combine(
        FunctionPackage.RepositoryRoot, "tests", "ImagePipeline.Infra.Tests", "Upgrade", "previous-release.json")))!.AsObject());

    private static JsonObject PreviousResources => s_previous.Value["resources"]!.AsObject();

    [Theory]
    [InlineData("aws-retain")]
    [InlineData("aws-upgraded")]
    public void Upgrade_PreviousResources_KeepTheirLogicalIdsOrAreKnownRemovals(string configuration)
    {
        var current = stacks.Get(configuration).Resources;
        var removed = PreviousResources.Where(r => current[r.Key] is null).ToList();
        foreach (var (id, resource) in PreviousResources.Where(r => current[r.Key] is not null))
        {
            Assert.Equal((string?)resource!["Type"], (string?)current[id]!["Type"]);
        }

        // Only aws-cdk-lib's helpers and the page's bucket go; stateful resources (the originals and derived buckets, the
        // table, the key, the secret, the queues, the log groups of the functions) keep their logical ids, so CloudFormation
        // updates them in place.
        string[] expectedRemoved =
        [
            .. PreviousResources.Where(r => s_removedTypes.Contains((string)r.Value!["Type"]!)).Select(r => r.Key),
            .. PreviousResources.Where(r => r.Key.StartsWith("BucketNotificationsHandler", StringComparison.Ordinal)
                || r.Key.StartsWith("CustomCDKBucketDeployment", StringComparison.Ordinal)
                || r.Key.StartsWith("HelperLogs", StringComparison.Ordinal)
                || r.Key.StartsWith("WebDeploymentLogs", StringComparison.Ordinal)
                || r.Key.StartsWith("Web3C8945DB", StringComparison.Ordinal)
                || r.Key.StartsWith("WebPolicy", StringComparison.Ordinal)).Select(r => r.Key),
        ];
        Assert.Equal(expectedRemoved.Distinct().Order(StringComparer.Ordinal), removed.Select(r => r.Key).Order(StringComparer.Ordinal));

        // Of the removed resources only the page's bucket held data, and it was retained: it stays in the account (the
        // README says to delete it). Nothing removed would delete data.
        foreach (var (id, resource) in removed)
        {
            if ((string?)resource!["Type"] is "AWS::S3::Bucket" or "AWS::DynamoDB::Table" or "AWS::KMS::Key" or "AWS::SQS::Queue")
            {
                Assert.Equal("Web3C8945DB", id);
                Assert.Equal("Retain", (string?)resource["DeletionPolicy"]);
            }
        }
    }

    [Fact]
    public void Upgraded_OriginalsBucket_ChangesOnlyItsNotificationConfiguration()
    {
        var upgraded = stacks.Get("aws-upgraded");
        var originals = upgraded.LogicalId("Originals");
        Assert.True(PreviousResources.ContainsKey(originals));

        // No BucketName: the bucket is updated in place (naming it would replace it, and with it every stored original).
        var properties = upgraded.Properties(originals).DeepClone().AsObject();
        Assert.Null(properties["BucketName"]);
        Assert.NotNull(properties["NotificationConfiguration"]);
        _ = properties.Remove("NotificationConfiguration");
        var previous = s_previous.Value["originalsProperties"]!;
        Assert.True(Same(previous, properties), $"previous {previous.ToJsonString()}{System.Environment.NewLine}now {properties.ToJsonString()}");
    }

    [Fact]
    public void Upgraded_PublishPolicies_NameTheExistingBucket()
    {
        var upgraded = stacks.Get("aws-upgraded");
        var arn = new JsonObject
        {
            ["Fn::Join"] = new JsonArray("", new JsonArray("arn:", Ref("AWS::Partition"), ":s3:::" + SynthesizedStacks.ExistingOriginalsBucket)),
        };
        var topicPolicy = Assert.Single(upgraded.OfType("AWS::SNS::TopicPolicy")).Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray();
        var keyPolicy = upgraded.Properties(upgraded.LogicalId("UploadsTopicKey"))["KeyPolicy"]!["Statement"]!.AsArray();
        foreach (var statements in new[] { topicPolicy, keyPolicy })
        {
            var fromS3 = Assert.Single(statements, s => s!["Principal"] is JsonObject principal && (string?)principal["Service"] == "s3.amazonaws.com")!;
            Assert.True(Same(fromS3["Condition"]!["ArnLike"]!["aws:SourceArn"], arn), fromS3["Condition"]!.ToJsonString());
            Assert.True(Same(fromS3["Condition"]!["StringEquals"]!["aws:SourceAccount"], Ref("AWS::AccountId")));
        }
    }

    [Fact]
    public void UpgradeScript_Always_ParsesKeepsTheNameAndRestoresTheNotifications()
    {
        var script = Path.Combine(FunctionPackage.RepositoryRoot, "infra", "scripts", "upgrade-to-native-notifications.sh");
        var text = File.ReadAllText(script);
        Assert.Contains($"-c {StackSettings.OriginalsBucketNameKey}=\"$bucket\"", text, StringComparison.Ordinal);
        Assert.Contains("get-bucket-notification-configuration", text, StringComparison.Ordinal);
        Assert.Contains("put-bucket-notification-configuration", text, StringComparison.Ordinal);

        using var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-n", script]) { RedirectStandardError = true })!;
        var errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, errors);
    }

    [Fact]
    public void NewStack_OriginalsBucket_IsNamedByTheStack()
    {
        // A new stack names the bucket (so both publish policies can name it); on an existing stack this property is what
        // -c originalsBucketName leaves out.
        Assert.NotNull(stacks.Aws.Properties(stacks.Aws.LogicalId("Originals"))["BucketName"]);
        Assert.Null(s_previous.Value["originalsProperties"]!["BucketName"]);
    }
}
