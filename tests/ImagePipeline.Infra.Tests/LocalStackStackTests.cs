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

        // Emptied on delete (a non-empty bucket cannot be deleted).
        Assert.NotEmpty(_s.OfType("Custom::S3AutoDeleteObjects"));
    }

    [Fact]
    public void DestroyPolicy_DeleteObjectVersionOnOriginals_OnlyForTheStackDeletionsAutoDelete()
    {
        // removalPolicy=destroy empties the buckets when the stack is deleted: aws-cdk-lib's auto-delete handler needs
        // s3:DeleteObject* (every version of a versioned bucket) through the bucket's policy. Nothing else gets it.
        var originals = _s.LogicalId("Originals");
        var covering = PolicyStatements.StatementsCovering(_s, "s3:DeleteObjectVersion")
            .Where(c => PolicyStatements.Mentions(c.Statement, originals) || PolicyStatements.AnyResourceIsStar(c.Statement))
            .ToList();
        var (policyId, statement) = Assert.Single(covering);
        Assert.Equal("AWS::S3::BucketPolicy", (string?)_s.Resources[policyId]!["Type"]);
        var principal = ((string?)statement["Principal"]!["AWS"]!["Fn::GetAtt"]![0])!;
        Assert.StartsWith("CustomS3AutoDeleteObjectsCustomResourceProviderRole", principal, StringComparison.Ordinal);
        Assert.DoesNotContain(_s.OfType("AWS::Lambda::Function"), f => Same(f.Resource["Properties"]!["Role"], GetAtt(principal, "Arn"))
            && PipelineEnvironment.Handlers.Contains((string?)f.Resource["Properties"]!["Handler"]));
        Assert.Equal("Enabled", (string?)_s.Properties(originals)["VersioningConfiguration"]!["Status"]);
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

        // Custom resources run after the helper's log group exists, so Lambda never creates one without retention.
        foreach (var (id, custom) in _s.Resources.Where(r => ((string?)r.Value!["Type"])!.StartsWith("Custom::", StringComparison.Ordinal)))
        {
            var dependsOn = Strings(custom!["DependsOn"]);
            Assert.True(dependsOn.Any(d => (string?)_s.Resources[d]!["Type"] == "AWS::Logs::LogGroup"), id);
        }

    }
}
