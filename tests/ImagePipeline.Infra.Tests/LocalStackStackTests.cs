using ImagePipeline.Core.Services;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>target=localstack (with removalPolicy=destroy, dev origins, object expiry and a name prefix).</summary>
[Trait("Category", "Integration")]
public sealed class LocalStackStackTests(SynthesizedStacks stacks)
{
    private readonly Synthesized _s = stacks.LocalStack;

    [Fact]
    public void LocalStack_Api_IsAPublicFunctionUrlWithoutApiGatewayOrCloudFront()
    {
        Assert.Empty(_s.OfType("AWS::ApiGatewayV2::Api"));
        Assert.Empty(_s.OfType("AWS::CloudFront::Distribution"));
        Assert.Empty(_s.OfType("Custom::CDKBucketDeployment"));

        var url = Assert.Single(_s.OfType("AWS::Lambda::Url")).Resource["Properties"]!;
        Assert.Equal("NONE", (string?)url["AuthType"]);
        var apiFunction = Assert.Single(_s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == "api");
        Assert.True(Same(url["TargetFunctionArn"], GetAtt(apiFunction.Id, "Arn")));
        Assert.Equal(["http://localhost:5173", "http://127.0.0.1:5080"], Strings(url["Cors"]!["AllowOrigins"]));

        var outputs = _s.Json["Outputs"]!.AsObject();
        Assert.Null(outputs["WebUrl"]);
        Assert.True(Contains(outputs["ApiUrl"]!["Value"], GetAtt(Assert.Single(_s.OfType("AWS::Lambda::Url")).Id, "FunctionUrl")));
    }

    [Fact]
    public void LocalStack_Functions_UsePathStyleS3()
    {
        foreach (var handler in PipelineEnvironment.Handlers)
        {
            var function = Assert.Single(_s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == handler);
            Assert.Equal("true", (string?)function.Resource["Properties"]!["Environment"]!["Variables"]![PipelineEnvironment.S3PathStyle]);
        }
    }

    [Fact]
    public void LocalStack_OriginalsCors_AllowsOnlyTheDevOrigins()
    {
        var rule = Assert.Single(_s.Properties(_s.LogicalId("Originals"))["CorsConfiguration"]!["CorsRules"]!.AsArray())!;
        Assert.Equal(["http://localhost:5173", "http://127.0.0.1:5080"], Strings(rule["AllowedOrigins"]));
    }

    [Fact]
    public void DestroyPolicy_Resources_AreDeletedWithoutProtectionAndExpire()
    {
        Assert.Equal("ci-ImagePipeline", _s.Stack.StackName);
        var table = _s.Resources[_s.LogicalId("Images")]!;
        Assert.Equal("Delete", (string?)table["DeletionPolicy"]);
        Assert.False(table["Properties"]!["DeletionProtectionEnabled"]!.GetValue<bool>());

        foreach (var id in new[] { _s.LogicalId("Originals"), _s.LogicalId("Derived") })
        {
            Assert.Equal("Delete", (string?)_s.Resources[id]!["DeletionPolicy"]);
            Assert.Contains(_s.Properties(id)["LifecycleConfiguration"]!["Rules"]!.AsArray(), r => r!["ExpirationInDays"]?.GetValue<int>() == 7);
        }

        // No auto-delete helper (a Node.js function of aws-cdk-lib's choosing): the operator empties the buckets before
        // `cdk destroy` (infra/README.md, teardown).
        Assert.Empty(_s.OfType("Custom::S3AutoDeleteObjects"));
        Assert.Null(_s.Json["Mappings"]); // aws-cdk-lib's LatestNodeRuntimeMap came with the helper
        Assert.Equal(4, _s.OfType("AWS::Lambda::Function").Count);
    }

    [Fact]
    public void DestroyPolicy_DeleteObjectVersion_IsGrantedToNobody()
    {
        // Without the auto-delete helper no statement can delete an object version, not even with removalPolicy=destroy.
        Assert.Empty(PolicyStatements.StatementsCovering(_s, "s3:DeleteObjectVersion"));
        Assert.Empty(PolicyStatements.StatementsCovering(_s, "s3:PutBucketPolicy"));
        Assert.Equal("Enabled", (string?)_s.Properties(_s.LogicalId("Originals"))["VersioningConfiguration"]!["Status"]);
    }

    [Fact]
    public void LocalStack_Notifications_AreNativeWithTheGeneratedName()
    {
        var originals = _s.Properties(_s.LogicalId("Originals"));
        Assert.Single(originals["NotificationConfiguration"]!["TopicConfigurations"]!.AsArray());
        Assert.Equal("ci-imagepipeline-originals", (string?)originals["BucketName"]!["Fn::Join"]![1]![0]);
    }

    [Fact]
    public void LocalStack_Functions_AllHaveLogRetention()
    {
        var logGroups = _s.OfType("AWS::Logs::LogGroup");
        foreach (var (id, function) in _s.OfType("AWS::Lambda::Function"))
        {
            var configured = function["Properties"]?["LoggingConfig"]?["LogGroup"];
            var group = configured is not null
                ? Assert.Single(logGroups, g => Same(configured, Ref(g.Id)))
                : Assert.Single(logGroups, g => Contains(g.Resource["Properties"]!["LogGroupName"], Ref(id)));
            Assert.True(group.Resource["Properties"]!["RetentionInDays"]!.GetValue<int>() > 0, id);
        }

    }
}
