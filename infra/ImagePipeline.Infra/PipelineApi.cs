using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AwsApigatewayv2Authorizers;
using Amazon.CDK.AwsApigatewayv2Integrations;
using ImagePipeline.Core.Services;
using ApiHttpMethod = Amazon.CDK.AWS.Apigatewayv2.HttpMethod;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;
using LambdaHttpMethod = Amazon.CDK.AWS.Lambda.HttpMethod;

namespace ImagePipeline.Infra;

/// <summary>
/// The api function's endpoint: an HTTP API (API Gateway v2, payload 2.0) on AWS, a Lambda function URL (the same payload)
/// on LocalStack, whose free edition has no API Gateway v2. Every path reaches the function: <c>/v1/…</c> is the API, the
/// rest the web page (on AWS, CloudFront in front serves both on one origin). With sign-in (<see cref="RequireSignIn"/>)
/// the HTTP API's JWT authorizer guards <c>ANY /v1/{proxy+}</c>; <see cref="PublicRoutes"/> and everything outside
/// <c>/v1</c> stay open.
/// </summary>
internal sealed class PipelineApi
{
    /// <summary>The private routes' path: every <c>/v1</c> path but the public routes' (more specific routes win).</summary>
    public const string PrivatePath = "/v1/{proxy+}";

    /// <summary>The <c>/v1</c> routes open without a token (<c>GET</c>): how a client learns the API and how to sign in.</summary>
    public static IReadOnlyList<string> PublicRoutes { get; } = ["/v1/health", "/v1/config", "/v1/openapi.json"];

    private readonly StackScope _scope;
    private HttpLambdaIntegration? _integration;

    public PipelineApi(StackScope scope, LambdaFunction function)
    {
        _scope = scope;
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

    /// <summary>
    /// Puts the JWT authorizer (issuer: the user pool; audience: its app client) on <c>ANY /v1/{proxy+}</c> with the
    /// scope <see cref="SignInEnvironment.ApiScope"/> required, so Cognito's ID tokens (no scope) are refused, and opens
    /// <see cref="PublicRoutes"/> with <c>GET</c>. The <c>$default</c> route (the page) stays open.
    /// </summary>
    public void RequireSignIn(PipelineSignIn signIn)
    {
        var api = HttpApi ?? throw new InvalidOperationException("Sign-in needs the HTTP API (target aws).");
        var client = signIn.Client ?? throw new InvalidOperationException("Add the app client first.");
        var authorizer = new HttpJwtAuthorizer("CognitoAuthorizer", signIn.Issuer, new HttpJwtAuthorizerProps
        {
            AuthorizerName = "cognito",
            JwtAudience = [client.UserPoolClientId],
            IdentitySource = ["$request.header.Authorization"],
        });

        _ = api.AddRoutes(new AddRoutesOptions
        {
            Path = PrivatePath,
            Methods = [ApiHttpMethod.ANY],
            Integration = _integration!,
            Authorizer = authorizer,
            AuthorizationScopes = [SignInEnvironment.ApiScope],
        });

        foreach (var path in PublicRoutes)
        {
            foreach (var route in api.AddRoutes(new AddRoutesOptions
            {
                Path = path,
                Methods = [ApiHttpMethod.GET],
                Integration = _integration!,
                Authorizer = new HttpNoneAuthorizer(),
            }))
            {
                _scope.Nag.Add(route, "AwsSolutions-APIG4",
                    $"GET {path} is public by design (DESIGN.md, REST table): clients read it before they can sign in.");
            }
        }

        _scope.Nag.Add(api.Node.FindChild("DefaultRoute"), "AwsSolutions-APIG4",
            "The $default route is the web page outside /v1 (public by design); every /v1 path but the three public routes " +
            "matches the more specific ANY /v1/{proxy+}, which the JWT authorizer guards.");
    }

    /// <summary>The demo mode: no authorizer anywhere (synthesis says so).</summary>
    public void AllowAnonymous()
    {
        if (HttpApi is { } api)
        {
            _scope.Nag.Add(api, "AwsSolutions-APIG4",
                "-c anonymousApi=true: the operator chose the demo mode without sign-in (synthesis warns); the default deploys Cognito " +
                "and a JWT authorizer.", applyToChildren: true);
        }
    }

    private HttpApi NewHttpApi(StackScope scope, LambdaFunction function, IReadOnlyList<string> origins)
    {
        _integration = new HttpLambdaIntegration("ApiIntegration", function, new HttpLambdaIntegrationProps
        {
            PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
        });
        var api = new HttpApi(scope.Stack, "HttpApi", new HttpApiProps
        {
            Description = "ImagePipeline REST API v1 and its web page.",
            DefaultIntegration = _integration,
            CorsPreflight = origins.Count == 0 ? null : new CorsPreflightOptions
            {
                AllowOrigins = [.. origins],
                AllowMethods = [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
                // The page sends its bearer token from a development origin too.
                AllowHeaders = ["content-type", "authorization"],
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
