using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Integrations;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;
using LambdaHttpMethod = Amazon.CDK.AWS.Lambda.HttpMethod;

namespace ImagePipeline.Infra;

/// <summary>
/// The api function's endpoint: an HTTP API (API Gateway v2, payload 2.0) on AWS, a Lambda function URL (the same payload)
/// on LocalStack, whose free edition has no API Gateway v2. Every path reaches the function: <c>/v1/…</c> is the API, the
/// rest the web page (on AWS, CloudFront in front serves both on one origin).
/// </summary>
internal sealed class PipelineApi
{
    public PipelineApi(StackScope scope, LambdaFunction function)
    {
        // The web page calls the API on its own origin (CloudFront): CORS is only for the operator's development origins.
        var origins = scope.Settings.DevOrigins;
        if (scope.IsAws)
        {
            HttpApi = NewHttpApi(scope, function, origins);
            Url = HttpApi.ApiEndpoint;
        }
        else
        {
            Url = NewFunctionUrl(function, origins);
        }
    }

    /// <summary>The HTTP API on AWS; null on LocalStack.</summary>
    public HttpApi? HttpApi { get; }

    /// <summary>The API's root URL (the <c>ApiUrl</c> output).</summary>
    public string Url { get; }

    private static HttpApi NewHttpApi(StackScope scope, LambdaFunction function, IReadOnlyList<string> origins)
    {
        var api = new HttpApi(scope.Stack, "HttpApi", new HttpApiProps
        {
            Description = "ImagePipeline REST API v1 and its web page.",
            DefaultIntegration = new HttpLambdaIntegration("ApiIntegration", function, new HttpLambdaIntegrationProps
            {
                PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
            }),
            CorsPreflight = origins.Count == 0 ? null : new CorsPreflightOptions
            {
                AllowOrigins = [.. origins],
                AllowMethods = [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
                AllowHeaders = ["content-type"],
                MaxAge = Duration.Hours(1),
            },
            CreateDefaultStage = false,
        });
        var stage = new HttpStage(scope.Stack, "HttpApiStage", new HttpStageProps
        {
            HttpApi = api,
            StageName = "$default",
            AutoDeploy = true,
            Throttle = new ThrottleSettings { RateLimit = FunctionSizing.ApiRateLimit, BurstLimit = FunctionSizing.ApiBurstLimit },
        });

        var accessLog = new LogGroup(scope.Stack, "HttpApiAccessLogs", new LogGroupProps { Retention = ImagePipelineStack.LogRetentionDays, RemovalPolicy = scope.Removal });
        ((CfnStage)stage.Node.DefaultChild!).AccessLogSettings = new CfnStage.AccessLogSettingsProperty
        {
            DestinationArn = accessLog.LogGroupArn,
            Format = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"time\":\"$context.requestTime\"," +
                "\"method\":\"$context.httpMethod\",\"path\":\"$context.path\",\"status\":\"$context.status\"," +
                "\"latencyMs\":\"$context.responseLatency\",\"bytes\":\"$context.responseLength\",\"error\":\"$context.integrationErrorMessage\"}",
        };

        scope.Nag.Add(api, "AwsSolutions-APIG4",
            "No authorizer until the authentication issue lands; synthesis requires -c anonymousApi=true to accept that.", applyToChildren: true);
        return api;
    }

    private static string NewFunctionUrl(LambdaFunction function, IReadOnlyList<string> origins)
    {
        var url = function.AddFunctionUrl(new FunctionUrlOptions
        {
            // LocalStack: no API Gateway v2; a function URL delivers the same payload (HTTP API v2 format).
            AuthType = FunctionUrlAuthType.NONE,
            Cors = origins.Count == 0 ? null : new FunctionUrlCorsOptions
            {
                AllowedOrigins = [.. origins],
                AllowedMethods = [LambdaHttpMethod.GET, LambdaHttpMethod.POST, LambdaHttpMethod.DELETE],
                AllowedHeaders = ["content-type"],
                MaxAge = Duration.Hours(1),
            },
        });
        return url.Url;
    }
}
