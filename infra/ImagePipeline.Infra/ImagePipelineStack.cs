using Amazon.CDK;
using Amazon.CDK.AWS.Logs;
using Constructs;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Infra;

/// <summary>Props of <see cref="ImagePipelineStack"/>.</summary>
public sealed class ImagePipelineStackProps : StackProps
{
    public required StackSettings Settings { get; init; }

    /// <summary>The folder holding the published <c>bootstrap</c> (see <see cref="FunctionPackage.Resolve"/>).</summary>
    public required string FunctionPackageFolder { get; init; }
}

/// <summary>
/// The whole pipeline in one stack: originals (versioned) and derived buckets, S3 → SNS → one SQS queue (with DLQ) per
/// stage, the resize, thumbnail, api and deadletter functions from one published bootstrap (the deadletter function
/// drains both DLQs into the catalog; what it cannot record parks in a parking queue), the DynamoDB table, the HTTP API,
/// CloudFront in front of it for the web page and the API on one origin, alarms and outputs. With
/// <c>target=localstack</c> the API is a function URL and there is no CloudFront (LocalStack's free edition has neither
/// API Gateway v2 nor CloudFront). On AWS, Cognito sign-in and the HTTP API's JWT authorizer guard the private <c>/v1</c>
/// routes unless <c>-c anonymousApi=true</c> (the demo mode); LocalStack stays anonymous. The only functions are those
/// four, on <c>provided.al2023</c>: no aws-cdk-lib helper function (custom resource handler) is part of the template.
/// </summary>
public sealed class ImagePipelineStack : Stack
{
    /// <summary>Key prefixes: the only places each function may read or write (see DESIGN.md, identifiers and keys).</summary>
    public const string OriginalsPrefix = "originals/";
    public const string RenditionsPrefix = "renditions/";
    public const string ThumbnailsPrefix = "thumbnails/";

    /// <summary>A generated cursor-signing key: 64 characters of [A-Za-z0-9] is valid base64 for 48 random bytes.</summary>
    public const int CursorKeyLength = 64;

    /// <summary>
    /// Retention of the source queues, dead-letter queues and parking queues: the longest an event may wait
    /// (<see cref="PipelineOptions.MaxEventAge"/>, 14 days, SQS's maximum). A standard queue counts it from the message's
    /// first enqueue, also after moves to a dead-letter queue; SQS's default of 4 days would lose events the catalog is
    /// still waiting for (a pending record is kept that long plus a day).
    /// </summary>
    public static readonly Duration EventRetention = Duration.Days(PipelineOptions.MaxEventAge.TotalDays);

    /// <summary>How long noncurrent versions of originals are kept: a deleted original can be restored for this long.</summary>
    public const int NoncurrentOriginalDays = 7;

    /// <summary>
    /// The deadletter function's metric (namespace <c>ImagePipeline</c>, dimension <c>Function</c> = its handler name), as
    /// src/ImagePipeline.Functions/Observability/MetricsWriter.cs writes it: one count per stage recorded failed/internal
    /// from a dead-lettered event.
    /// </summary>
    public const string MetricsNamespace = "ImagePipeline";
    public const string DeadLettersRecordedMetric = "DeadLettersRecorded";

    /// <summary>The deadletter function's handler (one of <see cref="PipelineEnvironment.Handlers"/>), also its metric dimension.</summary>
    public const string DeadLetterHandler = "deadletter";

    /// <summary>How long every function's logs are kept.</summary>
    public const RetentionDays LogRetentionDays = RetentionDays.ONE_MONTH;

    /// <summary>
    /// The api function's page folder, relative to its code (<c>wwwroot</c> beside <c>bootstrap</c> in the function
    /// package); set on AWS, where CloudFront sends every path outside <c>/v1</c> to the function.
    /// </summary>
    public const string WebRootVariable = PipelineEnvironment.WebRoot;

    /// <summary>The folder <see cref="WebRootVariable"/> names.</summary>
    public const string WebRootFolder = "wwwroot";

    /// <summary>The page's Content-Security-Policy for the api function (the same text CloudFront sends).</summary>
    public const string WebContentSecurityPolicyVariable = PipelineEnvironment.WebContentSecurityPolicy;

    private readonly NagSuppressions _nag = new();

    public ImagePipelineStack(Construct scope, string id, ImagePipelineStackProps props)
        : base(scope, id, props)
    {
        ArgumentNullException.ThrowIfNull(props);
        var settings = props.Settings;
        var parts = new StackScope(this, settings, _nag);
        AnnounceSignIn(settings);

        var storage = new PipelineStorage(parts);
        var fanOut = new PipelineFanOut(parts, storage);
        var functions = new PipelineFunctions(parts, storage, fanOut, props.FunctionPackageFolder);
        var signIn = settings.SignIn ? new PipelineSignIn(parts) : null;
        var api = new PipelineApi(parts, functions.Api);

        var web = api.HttpApi is { } httpApi ? new WebDistribution(parts, httpApi, signIn?.ContentSecuritySources ?? []) : null;
        if (web is not null)
        {
            functions.AddApiEnvironment(WebRootVariable, WebRootFolder);
            functions.AddApiEnvironment(WebContentSecurityPolicyVariable, web.ContentSecurityPolicy);
        }

        if (signIn is not null && web is not null)
        {
            _ = signIn.AddClient(web.Distribution.DistributionDomainName, settings.DevOrigins);
            api.RequireSignIn(signIn);
            functions.AddApiEnvironment(SignInEnvironment.Mode, SignInEnvironment.CognitoMode);
            functions.AddApiEnvironment(SignInEnvironment.Authority, signIn.Issuer);
            functions.AddApiEnvironment(SignInEnvironment.ClientId, signIn.Client!.UserPoolClientId);
            functions.AddApiEnvironment(SignInEnvironment.Scopes, string.Join(' ', PipelineSignIn.Scopes));
            functions.AddApiEnvironment(SignInEnvironment.LogoutUrl, signIn.LogoutUrl!);
            functions.AddApiEnvironment(SignInEnvironment.CliRedirectUri, signIn.CliRedirectUri);
        }
        else
        {
            api.AllowAnonymous();
            functions.AddApiEnvironment(SignInEnvironment.Mode, SignInEnvironment.AnonymousMode);
        }

        // Browser uploads stay cross-origin (the page's origin PUTs to S3), so the originals bucket keeps its CORS rule.
        storage.AllowBrowserUploads(web is null ? settings.DevOrigins : [web.Origin, .. settings.DevOrigins]);

        PipelineAlarms.Add(parts, functions.All, [fanOut.Resize.Parking, fanOut.Thumbnail.Parking]);

        _ = new CfnOutput(this, "ApiUrl", new CfnOutputProps { Value = api.Url, Description = "The REST API's root (GET /v1/health)." });
        if (web is not null)
        {
            _ = new CfnOutput(this, "WebUrl", new CfnOutputProps { Value = web.Origin, Description = "The web page (and the API under /v1)." });
        }

        if (signIn is not null)
        {
            _ = new CfnOutput(this, "UserPoolId", new CfnOutputProps { Value = signIn.UserPool.UserPoolId, Description = "Users: aws cognito-idp admin-create-user --user-pool-id …" });
            _ = new CfnOutput(this, "UserPoolClientId", new CfnOutputProps { Value = signIn.Client!.UserPoolClientId, Description = "The public app client of the page and the CLI." });
            _ = new CfnOutput(this, "HostedUiDomain", new CfnOutputProps { Value = signIn.HostedDomainUrl, Description = "Cognito's hosted sign-in pages." });
        }

        _ = new CfnOutput(this, "OriginalsBucketName", new CfnOutputProps { Value = storage.Originals.BucketName, Description = "Uploads: originals/{imageId}." });
        _ = new CfnOutput(this, "DerivedBucketName", new CfnOutputProps { Value = storage.Derived.BucketName, Description = "Renditions and thumbnails." });
        _ = new CfnOutput(this, "TableName", new CfnOutputProps { Value = storage.Table.TableName, Description = "The images catalog." });

        functions.DropRedundantRoleDependencies();
        RequireNoHelperFunctions(functions);
        _nag.Apply();
    }

    /// <summary>Anonymous deployments are allowed, and said so at synthesis (a warning, not a refusal).</summary>
    private void AnnounceSignIn(StackSettings settings)
    {
        if (settings.Target == DeploymentTarget.LocalStack)
        {
            Annotations.Of(this).AddWarningV2("imagepipeline:anonymousLocalStack",
                "target=localstack deploys an ANONYMOUS API (LocalStack's free edition has no Cognito): every caller is the owner " +
                "'anonymous', and anyone who reaches the function URL can upload, list and delete images.");
        }
        else if (settings.AnonymousApi)
        {
            Annotations.Of(this).AddWarningV2("imagepipeline:anonymousApi",
                "-c anonymousApi=true deploys the demo mode: no Cognito and no authorizer, so anyone who finds the API's URL can upload, " +
                "list and delete images. Leave the flag out to deploy with Cognito sign-in.");
        }

        if (!settings.SignIn && (settings.SelfSignUp || settings.AuthDomainPrefix is not null))
        {
            Annotations.Of(this).AddWarningV2("imagepipeline:signInFlagsIgnored",
                $"'{StackSettings.SelfSignUpKey}' and '{StackSettings.AuthDomainPrefixKey}' are ignored: this deployment has no sign-in.");
        }
    }

    /// <summary>
    /// aws-cdk-lib adds functions of its own choosing (runtime, role, code) behind conveniences such as
    /// <c>AddEventNotification</c>, <c>AutoDeleteObjects</c>, <c>BucketDeployment</c> or log retention. Their runtimes age
    /// out of Lambda's support on the library's schedule, not ours (python3.11 cannot be created from 2026-07-31), so the
    /// stack has none: synthesis stops here if one appears, naming it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A function or custom resource other than the pipeline's four functions.</exception>
    private void RequireNoHelperFunctions(PipelineFunctions functions)
    {
        var ours = functions.All.Select(f => f.Node.DefaultChild!.Node.Path).ToHashSet(StringComparer.Ordinal);
        var helpers = Node.FindAll().OfType<CfnResource>()
            .Where(r => (r.CfnResourceType == "AWS::Lambda::Function" && !ours.Contains(r.Node.Path))
                || r.CfnResourceType.StartsWith("Custom::", StringComparison.Ordinal)
                || r.CfnResourceType == "AWS::CloudFormation::CustomResource")
            .Select(r => $"{r.Node.Path} ({r.CfnResourceType})")
            .ToList();
        if (helpers.Count > 0)
        {
            throw new InvalidOperationException(
                "The stack deploys no helper functions or custom resources (infra/README.md, \"Deploying in 2026\"), but these were added: " +
                string.Join(", ", helpers) + ". Configure the resource natively (L1 properties) instead.");
        }
    }
}
