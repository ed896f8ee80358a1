using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>The default stack's HTTP API and the CloudFront distribution that serves the page and the API on one origin.</summary>
[Trait("Category", "Integration")]
public sealed class AwsWebTests(SynthesizedStacks stacks)
{
    private readonly Synthesized _s = stacks.Aws;

    private (string Id, JsonObject Properties) Function(string handler)
    {
        var (id, resource) = Assert.Single(_s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == handler);
        return (id, resource["Properties"]!.AsObject());
    }

    [Fact]
    public void HttpApi_Default_IsThrottledLoggedAndWithoutCors()
    {
        _s.Template.ResourceCountIs("AWS::ApiGatewayV2::Api", 1);
        var (_, api) = Assert.Single(_s.OfType("AWS::ApiGatewayV2::Api"));
        // The page calls the API on its own origin (CloudFront): no CORS without development origins.
        Assert.Null(api["Properties"]!["CorsConfiguration"]);

        _s.Template.HasResourceProperties("AWS::ApiGatewayV2::Stage", Match.ObjectLike(new Dictionary<string, object>
        {
            ["StageName"] = "$default",
            ["AutoDeploy"] = true,
            ["DefaultRouteSettings"] = new Dictionary<string, object>
            {
                ["ThrottlingRateLimit"] = FunctionSizing.ApiRateLimit,
                ["ThrottlingBurstLimit"] = FunctionSizing.ApiBurstLimit,
            },
            ["AccessLogSettings"] = Match.ObjectLike(new Dictionary<string, object> { ["Format"] = Match.AnyValue() }),
        }));
        _s.Template.HasResourceProperties("AWS::ApiGatewayV2::Integration", Match.ObjectLike(new Dictionary<string, object>
        {
            ["IntegrationType"] = "AWS_PROXY",
            ["PayloadFormatVersion"] = "2.0",
        }));
        Assert.Empty(_s.OfType("AWS::Lambda::Url"));
    }

    [Fact]
    public void WebPage_BehindCloudFront_SharesTheApiOriginWithoutBucketOrHelper()
    {
        var distribution = _s.Properties(_s.LogicalId("WebDistribution"))["DistributionConfig"]!;
        // One origin, the HTTP API, over HTTPS: the api function serves the page (outside /v1) and the API.
        var origin = Assert.Single(distribution["Origins"]!.AsArray())!;
        Assert.True(Contains(origin["DomainName"], Ref(_s.LogicalId("HttpApi"))));
        Assert.True(AnyString(origin["DomainName"], s => s == ".execute-api."));
        Assert.Equal("https-only", (string?)origin["CustomOriginConfig"]!["OriginProtocolPolicy"]);
        Assert.Equal(["TLSv1.2"], Strings(origin["CustomOriginConfig"]!["OriginSSLProtocols"]));
        Assert.Null(origin["S3OriginConfig"]);
        Assert.Empty(_s.OfType("AWS::CloudFront::OriginAccessControl"));
        Assert.Empty(_s.OfType("Custom::CDKBucketDeployment"));
        Assert.Empty(_s.OfType("AWS::Lambda::LayerVersion"));

        const string cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
        const string allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
        var headersPolicy = Ref(Assert.Single(_s.OfType("AWS::CloudFront::ResponseHeadersPolicy")).Id);

        // /v1/*: never cached, every method, every viewer header but Host (API Gateway needs its own).
        var api = Assert.Single(distribution["CacheBehaviors"]!.AsArray())!;
        Assert.Equal("/v1/*", (string?)api["PathPattern"]);
        Assert.Equal(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"], Strings(api["AllowedMethods"]));
        Assert.Equal(cachingDisabled, (string?)api["CachePolicyId"]);
        Assert.Equal(allViewerExceptHostHeader, (string?)api["OriginRequestPolicyId"]);
        Assert.Equal("https-only", (string?)api["ViewerProtocolPolicy"]);
        Assert.True(Same(api["ResponseHeadersPolicyId"], headersPolicy));

        // Everything else is the page: the function's no-cache and ETag decide (nothing is stored at the edge for longer
        // than the origin allows), conditional requests reach the function, and the security headers are added.
        var page = distribution["DefaultCacheBehavior"]!;
        Assert.Equal(["GET", "HEAD"], Strings(page["AllowedMethods"]));
        Assert.Equal("redirect-to-https", (string?)page["ViewerProtocolPolicy"]);
        Assert.Equal(allViewerExceptHostHeader, (string?)page["OriginRequestPolicyId"]);
        Assert.True(Same(page["ResponseHeadersPolicyId"], headersPolicy));
        var (cacheId, cache) = Assert.Single(_s.OfType("AWS::CloudFront::CachePolicy"));
        Assert.True(Same(page["CachePolicyId"], Ref(cacheId)));
        var cacheConfig = cache["Properties"]!["CachePolicyConfig"]!;
        Assert.Equal(0, cacheConfig["MinTTL"]!.GetValue<int>());
        Assert.Equal(0, cacheConfig["DefaultTTL"]!.GetValue<int>());
        Assert.Null(distribution["DefaultRootObject"]);

        // No page bucket: the three buckets are originals, derived and access logs.
        Assert.DoesNotContain(_s.Stack.Node.Children, c => c.Node.Id == "Web");
    }

    [Fact]
    public void WebPage_Headers_CarryTheCspTheFunctionSends()
    {
        var headers = Assert.Single(_s.OfType("AWS::CloudFront::ResponseHeadersPolicy")).Resource["Properties"]!["ResponseHeadersPolicyConfig"]!["SecurityHeadersConfig"]!;
        var csp = headers["ContentSecurityPolicy"]!;
        Assert.True(csp["Override"]!.GetValue<bool>());
        Assert.Equal("DENY", (string?)headers["FrameOptions"]!["FrameOption"]);
        Assert.Equal("no-referrer", (string?)headers["ReferrerPolicy"]!["ReferrerPolicy"]);
        Assert.True(headers["ContentTypeOptions"]!["Override"]!.GetValue<bool>());
        Assert.Equal(31536000, headers["StrictTransportSecurity"]!["AccessControlMaxAgeSec"]!.GetValue<int>());

        // The api function gets the same policy (for the page requested from the API's own URL) and its page folder.
        var environment = Function("api").Properties["Environment"]!["Variables"]!;
        Assert.True(Same(environment[ImagePipelineStack.WebContentSecurityPolicyVariable], csp["ContentSecurityPolicy"]));
        Assert.Equal("wwwroot", (string?)environment[ImagePipelineStack.WebRootVariable]);

        // With sign-in the page also talks to the issuer (discovery, keys) and the hosted domain (token, user info, sign-out).
        var resolved = Resolve(csp["ContentSecurityPolicy"]!, Pseudo);
        const string s3 = "https://*.s3.eu-west-1.amazonaws.com https://*.s3.amazonaws.com";
        const string signIn = "https://imagepipeline-123456789012.auth.eu-west-1.amazoncognito.com https://cognito-idp.eu-west-1.amazonaws.com";
        Assert.Equal(
            $"default-src 'self'; img-src 'self' blob: data: {s3}; connect-src 'self' {s3} {signIn}; " +
            $"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' {signIn}",
            resolved);
        Assert.DoesNotContain("execute-api", resolved, StringComparison.Ordinal);
    }

    [Fact]
    public void WebPage_AnonymousCsp_IsThePageResponders()
    {
        var anonymous = stacks.AwsAnonymous;
        var csp = Assert.Single(anonymous.OfType("AWS::CloudFront::ResponseHeadersPolicy")).Resource["Properties"]!["ResponseHeadersPolicyConfig"]!["SecurityHeadersConfig"]!["ContentSecurityPolicy"]!["ContentSecurityPolicy"]!;
        var environment = Assert.Single(anonymous.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == "api").Resource["Properties"]!["Environment"]!["Variables"]!;
        Assert.True(Same(environment[ImagePipelineStack.WebContentSecurityPolicyVariable], csp));

        // Without sign-in: exactly the policy the page responder builds for the region's S3 hosts, as before sign-in.
        var resolved = Resolve(csp, Pseudo);
        Assert.Equal(ImagePipeline.Http.StaticPage.ContentSecurityPolicy(ImagePipeline.Http.StaticPage.S3Sources("eu-west-1")), resolved);
        Assert.StartsWith("default-src 'self';", resolved, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", resolved, StringComparison.Ordinal);
        Assert.Contains("form-action 'none'", resolved, StringComparison.Ordinal);
        Assert.DoesNotContain("cognito", resolved, StringComparison.Ordinal);
    }

    /// <summary>Values of the pseudo parameters for resolving a template's strings in the tests.</summary>
    internal static Dictionary<string, string> Pseudo { get; } = new()
    {
        ["AWS::Region"] = "eu-west-1",
        ["AWS::URLSuffix"] = "amazonaws.com",
        ["AWS::AccountId"] = "123456789012",
        ["AWS::Partition"] = "aws",
    };

    /// <summary>A template string with its pseudo parameters (and, given, resource references) replaced.</summary>
    internal static string Resolve(JsonNode node, Dictionary<string, string> pseudo) => node switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonObject o when o["Ref"] is { } r => pseudo[r.GetValue<string>()],
        JsonObject o when o["Fn::Join"] is JsonArray join =>
            string.Join(join[0]!.GetValue<string>(), join[1]!.AsArray().Select(p => Resolve(p!, pseudo))),
        _ => throw new InvalidOperationException("Cannot resolve " + node.ToJsonString()),
    };
}
