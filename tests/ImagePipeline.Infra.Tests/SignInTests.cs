using System.Text.Json.Nodes;
using Amazon.CDK.CXAPI;
using ImagePipeline.Core.Services;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>
/// Sign-in: Cognito and the HTTP API's JWT authorizer in the default AWS stack (and with every sign-in flag), what the api
/// function is told, where the cursor key is kept; the demo mode (<c>-c anonymousApi=true</c>) and LocalStack without
/// any of it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SignInTests(SynthesizedStacks stacks)
{
    private static readonly string[] s_signInVariables =
    [
        SignInEnvironment.Authority,
        SignInEnvironment.ClientId,
        SignInEnvironment.Scopes,
        SignInEnvironment.LogoutUrl,
        SignInEnvironment.CliRedirectUri,
    ];

    private readonly Synthesized _s = stacks.Aws;

    private static JsonObject ApiEnvironment(Synthesized s) =>
        Assert.Single(s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == "api")
            .Resource["Properties"]!["Environment"]!["Variables"]!.AsObject();

    private static IReadOnlyList<JsonObject> Routes(Synthesized s) => [.. s.OfType("AWS::ApiGatewayV2::Route").Select(r => r.Resource["Properties"]!.AsObject())];

    /// <summary>A template string with pseudo parameters and the given references (logical id → value) replaced.</summary>
    private static string Resolve(JsonNode node, Synthesized s, params (string Id, string Value)[] references)
    {
        _ = s;
        var values = new Dictionary<string, string>(AwsWebTests.Pseudo);
        foreach (var (id, value) in references)
        {
            values[id] = value;
        }

        return (string)Evaluate(node, values);
    }

    /// <summary>Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt and Ref, as CloudFormation evaluates them: a string or a list.</summary>
    private static object Evaluate(JsonNode node, Dictionary<string, string> values) => node switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray a => a.Select(n => (string)Evaluate(n!, values)).ToList(),
        JsonObject o when o["Ref"] is { } r => values.TryGetValue(r.GetValue<string>(), out var value)
            ? value
            : throw new InvalidOperationException("No value for " + r.GetValue<string>()),
        // The references given by logical id stand for its Ref and for any of its attributes.
        JsonObject o when o["Fn::GetAtt"] is JsonArray att => values.TryGetValue(att[0]!.GetValue<string>(), out var value)
            ? value
            : throw new InvalidOperationException("No value for " + att.ToJsonString()),
        JsonObject o when o["Fn::Join"] is JsonArray join =>
            string.Join(join[0]!.GetValue<string>(), (List<string>)Evaluate(join[1]!, values)),
        JsonObject o when o["Fn::Split"] is JsonArray split =>
            ((string)Evaluate(split[1]!, values)).Split(split[0]!.GetValue<string>()).ToList(),
        JsonObject o when o["Fn::Select"] is JsonArray select =>
            ((List<string>)Evaluate(select[1]!, values))[select[0]!.GetValue<int>()],
        _ => throw new InvalidOperationException("Cannot resolve " + node.ToJsonString()),
    };

    [Fact]
    public void UserPool_Default_IsAdminCreatedEmailSignInWithStrongPasswordsAndOptionalTotp()
    {
        var (id, pool) = Assert.Single(_s.OfType("AWS::Cognito::UserPool"));
        var properties = pool["Properties"]!;
        Assert.True(properties["AdminCreateUserConfig"]!["AllowAdminCreateUserOnly"]!.GetValue<bool>());
        Assert.Equal(["email"], Strings(properties["UsernameAttributes"]));
        Assert.False(properties["UsernameConfiguration"]!["CaseSensitive"]!.GetValue<bool>());
        Assert.Equal(["email"], Strings(properties["AutoVerifiedAttributes"]));

        var password = properties["Policies"]!["PasswordPolicy"]!;
        Assert.True(password["MinimumLength"]!.GetValue<int>() >= 12);
        foreach (var rule in new[] { "RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols" })
        {
            Assert.True(password[rule]!.GetValue<bool>(), rule);
        }

        Assert.Equal("OPTIONAL", (string?)properties["MfaConfiguration"]);
        Assert.Equal(["SOFTWARE_TOKEN_MFA"], Strings(properties["EnabledMfas"]));
        Assert.Equal(["verified_email"], properties["AccountRecoverySetting"]!["RecoveryMechanisms"]!.AsArray().Select(m => (string)m!["Name"]!));

        // Threat protection needs the Plus plan (no free tier): off, and the plan written out.
        Assert.Null(properties["UserPoolAddOns"]);
        Assert.Equal("ESSENTIALS", (string?)properties["UserPoolTier"]);

        // Users are data: kept with the stack's default removal policy, and protected.
        Assert.Equal("ACTIVE", (string?)properties["DeletionProtection"]);
        Assert.Equal("Retain", (string?)pool["DeletionPolicy"]);
        Assert.Equal(_s.LogicalId("UserPool"), id);
    }

    [Fact]
    public void ResourceServer_Always_DefinesTheApiScope()
    {
        var server = Assert.Single(_s.OfType("AWS::Cognito::UserPoolResourceServer")).Resource["Properties"]!;
        Assert.Equal("imagepipeline", (string?)server["Identifier"]);
        Assert.Equal(SignInEnvironment.ResourceServerIdentifier, (string?)server["Identifier"]);
        Assert.Equal(["api"], server["Scopes"]!.AsArray().Select(s => (string)s!["ScopeName"]!));
        Assert.True(Same(server["UserPoolId"], Ref(_s.LogicalId("UserPool"))));
        Assert.Equal("imagepipeline/api", SignInEnvironment.ApiScope);
    }

    [Fact]
    public void AppClient_Default_IsPublicCodeWithPkceForThePageAndTheCli()
    {
        var (clientId, client) = Assert.Single(_s.OfType("AWS::Cognito::UserPoolClient"));
        var properties = client["Properties"]!;
        Assert.False(properties["GenerateSecret"]!.GetValue<bool>());
        Assert.Equal(["code"], Strings(properties["AllowedOAuthFlows"]));
        Assert.True(properties["AllowedOAuthFlowsUserPoolClient"]!.GetValue<bool>());
        Assert.Equal(["COGNITO"], Strings(properties["SupportedIdentityProviders"]));
        // Sign-in on the hosted pages only; refresh tokens renew the session.
        Assert.Equal(["ALLOW_REFRESH_TOKEN_AUTH"], Strings(properties["ExplicitAuthFlows"]));
        Assert.Equal("ENABLED", (string?)properties["PreventUserExistenceErrors"]);
        Assert.True(properties["EnableTokenRevocation"]!.GetValue<bool>());

        var scopes = properties["AllowedOAuthScopes"]!.AsArray();
        Assert.Equal(["openid", "profile", "email"], scopes.Take(3).Select(s => (string)s!));
        Assert.Equal("imagepipeline/api", Resolve(scopes[3]!, _s, (_s.LogicalId("UserPool/ApiResourceServer"), "imagepipeline")));

        var distribution = _s.LogicalId("WebDistribution");
        var page = (distribution, "d111111abcdef8.cloudfront.net");
        Assert.Equal(["https://d111111abcdef8.cloudfront.net/", "http://localhost:53682/callback"],
            properties["CallbackURLs"]!.AsArray().Select(u => Resolve(u!, _s, page)));
        Assert.Equal(SignInDefaults.CliRedirectUri(SignInDefaults.CliCallbackPort), (string?)properties["CallbackURLs"]![1]);
        Assert.Equal(["https://d111111abcdef8.cloudfront.net/", "https://d111111abcdef8.cloudfront.net"],
            properties["LogoutURLs"]!.AsArray().Select(u => Resolve(u!, _s, page)));
        Assert.Equal(_s.LogicalId("UserPool/AppClient"), clientId);
    }

    [Fact]
    public void HostedDomain_Default_IsTheStackNameAndAccount()
    {
        var domain = Assert.Single(_s.OfType("AWS::Cognito::UserPoolDomain")).Resource["Properties"]!;
        Assert.Equal("imagepipeline-123456789012", Resolve(domain["Domain"]!, _s));
        Assert.True(Same(domain["UserPoolId"], Ref(_s.LogicalId("UserPool"))));
        Assert.Null(domain["CustomDomainConfig"]);
    }

    [Fact]
    public void Authorizer_Always_IsTheUserPoolsJwtAuthorizerForTheAppClient()
    {
        var (_, authorizer) = Assert.Single(_s.OfType("AWS::ApiGatewayV2::Authorizer"));
        var properties = authorizer["Properties"]!;
        Assert.Equal("JWT", (string?)properties["AuthorizerType"]);
        Assert.True(Same(properties["ApiId"], Ref(_s.LogicalId("HttpApi"))));
        Assert.Equal(["$request.header.Authorization"], Strings(properties["IdentitySource"]));
        var jwt = properties["JwtConfiguration"]!;
        Assert.True(Same(Assert.Single(jwt["Audience"]!.AsArray()), Ref(_s.LogicalId("UserPool/AppClient"))));
        var pool = (_s.LogicalId("UserPool"), "eu-west-1_AbCdEf123");
        Assert.Equal("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", Resolve(jwt["Issuer"]!, _s, pool));
    }

    [Fact]
    public void Routes_PrivateOnes_NeedTheAuthorizerAndTheApiScope()
    {
        var authorizer = Ref(Assert.Single(_s.OfType("AWS::ApiGatewayV2::Authorizer")).Id);
        var routes = Routes(_s);
        var integration = routes[0]["Target"];

        // Every /v1 path but the three public ones matches ANY /v1/{proxy+}.
        var guarded = Assert.Single(routes, r => (string?)r["AuthorizationType"] == "JWT");
        Assert.Equal("ANY /v1/{proxy+}", (string?)guarded["RouteKey"]);
        Assert.True(Same(guarded["AuthorizerId"], authorizer));
        Assert.Equal(["imagepipeline/api"], Strings(guarded["AuthorizationScopes"]));

        // Open: the three public /v1 routes (GET only) and $default (the page outside /v1), nothing else.
        var open = routes.Where(r => (string?)r["AuthorizationType"] == "NONE").Select(r => (string)r["RouteKey"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["$default", "GET /v1/config", "GET /v1/health", "GET /v1/openapi.json"], open);
        Assert.Equal(5, routes.Count);
        Assert.All(routes.Where(r => (string?)r["AuthorizationType"] == "NONE"), r => Assert.Null(r["AuthorizerId"]));

        // One integration (the api function) behind every route, and a permission for each route to invoke it.
        Assert.All(routes, r => Assert.True(Same(r["Target"], integration)));
        Assert.Single(_s.OfType("AWS::ApiGatewayV2::Integration"));
        Assert.Equal(5, _s.OfType("AWS::Lambda::Permission").Count(p => (string?)p.Resource["Properties"]!["Principal"] == "apigateway.amazonaws.com"));
    }

    [Fact]
    public void ApiFunction_Default_IsToldHowClientsSignIn()
    {
        var environment = ApiEnvironment(_s);
        Assert.Equal("cognito", (string?)environment[SignInEnvironment.Mode]);
        Assert.Equal(SignInEnvironment.CognitoMode, (string?)environment[SignInEnvironment.Mode]);

        // The authority is the authorizer's issuer, the client its audience.
        var jwt = Assert.Single(_s.OfType("AWS::ApiGatewayV2::Authorizer")).Resource["Properties"]!["JwtConfiguration"]!;
        Assert.True(Same(environment[SignInEnvironment.Authority], jwt["Issuer"]));
        Assert.True(Same(environment[SignInEnvironment.ClientId], Ref(_s.LogicalId("UserPool/AppClient"))));
        Assert.Equal("openid profile email imagepipeline/api", (string?)environment[SignInEnvironment.Scopes]);
        Assert.Equal("http://localhost:53682/callback", (string?)environment[SignInEnvironment.CliRedirectUri]);

        var logout = Resolve(environment[SignInEnvironment.LogoutUrl]!, _s,
            (_s.LogicalId("UserPool/AppClient"), "1example23456789"), (_s.LogicalId("WebDistribution"), "d111111abcdef8.cloudfront.net"));
        Assert.Equal(
            "https://imagepipeline-123456789012.auth.eu-west-1.amazoncognito.com/logout?client_id=1example23456789&logout_uri=https%3A%2F%2Fd111111abcdef8.cloudfront.net%2F",
            logout);
        // The sign-out address is one of the client's sign-out URLs (Cognito matches them exactly).
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(logout).Query);
        var client = Assert.Single(_s.OfType("AWS::Cognito::UserPoolClient")).Resource["Properties"]!;
        Assert.Contains(query["logout_uri"], client["LogoutURLs"]!.AsArray().Select(u => Resolve(u!, _s, (_s.LogicalId("WebDistribution"), "d111111abcdef8.cloudfront.net"))));

        // The other functions know nothing of sign-in.
        foreach (var (_, function) in _s.OfType("AWS::Lambda::Function").Where(f => (string?)f.Resource["Properties"]!["Handler"] != "api"))
        {
            var variables = function["Properties"]!["Environment"]!["Variables"]!.AsObject();
            Assert.DoesNotContain(variables, v => v.Key.StartsWith("IMAGEPIPELINE_AUTH_", StringComparison.Ordinal) || v.Key.StartsWith("IMAGEPIPELINE_CURSOR_KEY", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ApiFunction_CursorKey_IsReadThroughParameterStoreByName()
    {
        var environment = ApiEnvironment(_s);
        var secret = _s.LogicalId("CursorKey");
        var arn = $"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{secret}-AbCdEfGhIjKl-XyZ123";
        var parameter = Resolve(environment[SignInEnvironment.CursorKeyParameter]!, _s, (secret, arn));
        // The secret's name: the ARN's name part without Secrets Manager's six-character suffix.
        Assert.Equal($"/aws/reference/secretsmanager/{secret}-AbCdEfGhIjKl", parameter);

        var policy = PolicyStatements.StatementsCovering(_s, "ssm:GetParameter");
        var statement = Assert.Single(policy).Statement;
        Assert.Equal(["ssm:GetParameter"], Strings(statement["Action"]));
        Assert.Equal($"arn:aws:ssm:eu-west-1:123456789012:parameter{parameter}", Resolve(Assert.Single(Many(statement["Resource"]))!, _s, (secret, arn)));
        var read = Assert.Single(PolicyStatements.StatementsCovering(_s, "secretsmanager:GetSecretValue")).Statement;
        Assert.True(Same(Assert.Single(Many(read["Resource"])), Ref(secret)));
        Assert.Empty(PolicyStatements.StatementsCovering(_s, "ssm:GetParameters"));
        Assert.Empty(PolicyStatements.StatementsCovering(_s, "ssm:GetParametersByPath"));
    }

    [Theory]
    [MemberData(nameof(CdkNagTests.Configurations), MemberType = typeof(CdkNagTests))]
    public void Template_Never_HoldsTheCursorKeyOrAnyResolvedSecret(string configuration)
    {
        var stack = stacks.Get(configuration);
        var text = File.ReadAllText(stack.TemplatePath);
        // No CloudFormation dynamic reference (it would put the resolved value into the function's configuration).
        Assert.DoesNotContain("{{resolve:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("resolve:secretsmanager", text, StringComparison.Ordinal);
        Assert.DoesNotContain("resolve:ssm-secure", text, StringComparison.Ordinal);
        // The secret's value is generated by Secrets Manager, never given in the template.
        var secret = stack.Properties(stack.LogicalId("CursorKey"));
        Assert.Null(secret["SecretString"]);
        Assert.NotNull(secret["GenerateSecretString"]);
        foreach (var (id, function) in stack.OfType("AWS::Lambda::Function"))
        {
            var variables = function["Properties"]!["Environment"]!["Variables"]!.AsObject();
            Assert.False(variables.ContainsKey(PipelineEnvironment.CursorKey), $"{configuration}: {id} has {PipelineEnvironment.CursorKey}");
        }

        // The api function gets the parameter's name in every configuration.
        Assert.True(AnyString(ApiEnvironment(stack)[SignInEnvironment.CursorKeyParameter], s => s == SignInEnvironment.SecretsManagerReferencePrefix));
    }

    [Fact]
    public void Outputs_Default_NameThePoolTheClientAndTheHostedDomain()
    {
        var outputs = _s.Json["Outputs"]!.AsObject();
        Assert.True(Same(outputs["UserPoolId"]!["Value"], Ref(_s.LogicalId("UserPool"))));
        Assert.True(Same(outputs["UserPoolClientId"]!["Value"], Ref(_s.LogicalId("UserPool/AppClient"))));
        Assert.Equal("https://imagepipeline-123456789012.auth.eu-west-1.amazoncognito.com", Resolve(outputs["HostedUiDomain"]!["Value"]!, _s));
    }

    [Fact]
    public void Flags_SelfSignUpPrefixPortAndDevOrigins_ReachPoolClientAndFunction()
    {
        var flags = stacks.Get("aws-destroy");
        var pool = Assert.Single(flags.OfType("AWS::Cognito::UserPool")).Resource;
        Assert.False(pool["Properties"]!["AdminCreateUserConfig"]!["AllowAdminCreateUserOnly"]!.GetValue<bool>());
        Assert.Equal("INACTIVE", (string?)pool["Properties"]!["DeletionProtection"]);
        Assert.Equal("Delete", (string?)pool["DeletionPolicy"]);

        var domain = Assert.Single(flags.OfType("AWS::Cognito::UserPoolDomain")).Resource["Properties"]!;
        Assert.Equal(SynthesizedStacks.FlagsDomainPrefix, (string?)domain["Domain"]);

        var client = Assert.Single(flags.OfType("AWS::Cognito::UserPoolClient")).Resource["Properties"]!;
        var page = (flags.LogicalId("WebDistribution"), "d111111abcdef8.cloudfront.net");
        var cli = SignInDefaults.CliRedirectUri(SynthesizedStacks.FlagsCliCallbackPort);
        // http is registered for localhost only (Cognito refuses other http callbacks): 127.0.0.1 is left out, and said so.
        Assert.Equal(["https://d111111abcdef8.cloudfront.net/", "http://localhost:5173/", "https://dev.example.com/", cli],
            client["CallbackURLs"]!.AsArray().Select(u => Resolve(u!, flags, page)));
        Assert.DoesNotContain(client["LogoutURLs"]!.AsArray(), u => AnyString(u, s => s.Contains("127.0.0.1", StringComparison.Ordinal)));
        Assert.Contains(flags.Messages, m => m.Level == SynthesisMessageLevel.WARNING
            && m.Entry.Data?.ToString()?.Contains("http://127.0.0.1:5080 is not registered as a sign-in callback", StringComparison.Ordinal) == true);

        var environment = ApiEnvironment(flags);
        Assert.Equal(cli, (string?)environment[SignInEnvironment.CliRedirectUri]);
        Assert.StartsWith($"https://{SynthesizedStacks.FlagsDomainPrefix}.auth.eu-west-1.amazoncognito.com/logout?",
            Resolve(environment[SignInEnvironment.LogoutUrl]!, flags, page, (flags.LogicalId("UserPool/AppClient"), "c")), StringComparison.Ordinal);

        // A development origin sends the bearer token cross-origin: CORS allows the header.
        var cors = Assert.Single(flags.OfType("AWS::ApiGatewayV2::Api")).Resource["Properties"]!["CorsConfiguration"]!;
        Assert.Contains("authorization", Strings(cors["AllowHeaders"]));
        Assert.DoesNotContain("*", Strings(cors["AllowOrigins"]));
    }

    [Fact]
    public void AnonymousApi_Demo_HasNoCognitoNoAuthorizerAndSaysSo()
    {
        var anonymous = stacks.AwsAnonymous;
        Assert.DoesNotContain(anonymous.Resources, r => ((string)r.Value!["Type"]!).StartsWith("AWS::Cognito::", StringComparison.Ordinal));
        Assert.Empty(anonymous.OfType("AWS::ApiGatewayV2::Authorizer"));
        var route = Assert.Single(Routes(anonymous));
        Assert.Equal(("$default", "NONE"), ((string?)route["RouteKey"], (string?)route["AuthorizationType"]));

        var environment = ApiEnvironment(anonymous);
        Assert.Equal(SignInEnvironment.AnonymousMode, (string?)environment[SignInEnvironment.Mode]);
        Assert.All(s_signInVariables, v => Assert.Null(environment[v]));
        Assert.Null(anonymous.Json["Outputs"]!["UserPoolId"]);

        Assert.Contains(anonymous.Messages, m => m.Level == SynthesisMessageLevel.WARNING
            && m.Entry.Data?.ToString()?.Contains("-c anonymousApi=true deploys the demo mode", StringComparison.Ordinal) == true);
        // A message, not a refusal; and the default stack carries no such warning.
        Assert.DoesNotContain(_s.Messages, m => m.Entry.Data?.ToString()?.Contains("imagepipeline:anonymous", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("localstack-destroy")]
    [InlineData("localstack-retain")]
    public void LocalStack_WithOrWithoutTheFlag_IsAnonymousAndSaysSo(string configuration)
    {
        var stack = stacks.Get(configuration);
        Assert.DoesNotContain(stack.Resources, r => ((string)r.Value!["Type"]!).StartsWith("AWS::Cognito::", StringComparison.Ordinal));
        var environment = ApiEnvironment(stack);
        Assert.Equal(SignInEnvironment.AnonymousMode, (string?)environment[SignInEnvironment.Mode]);
        Assert.All(s_signInVariables, v => Assert.Null(environment[v]));
        Assert.Contains(stack.Messages, m => m.Level == SynthesisMessageLevel.WARNING
            && m.Entry.Data?.ToString()?.Contains("target=localstack deploys an ANONYMOUS API", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void ContentSecurityPolicy_WithSignIn_AddsTheIssuerToConnectAndFormActionOnly()
    {
        var csp = WebDistribution.ContentSecurityPolicyFor("https://*.s3.x", ["https://a.example", "https://b.example"]);
        var directives = csp.Split("; ").ToDictionary(d => d.Split(' ')[0], d => d, StringComparer.Ordinal);
        Assert.Equal("connect-src 'self' https://*.s3.x https://a.example https://b.example", directives["connect-src"]);
        Assert.Equal("form-action 'self' https://a.example https://b.example", directives["form-action"]);
        Assert.Equal("img-src 'self' blob: data: https://*.s3.x", directives["img-src"]);
        Assert.Equal("default-src 'self'", directives["default-src"]);
        Assert.Equal("frame-ancestors 'none'", directives["frame-ancestors"]);
    }
}
