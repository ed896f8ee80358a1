using System.Globalization;
using System.Text.RegularExpressions;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Infra;

/// <summary>Where the stack is deployed: AWS, or LocalStack's free edition (no API Gateway v2, no CloudFront).</summary>
public enum DeploymentTarget
{
    Aws,
    LocalStack,
}

/// <summary>The functions' processor: Lambda's <c>x86_64</c> or <c>arm64</c> (Graviton, about 20 % less per GB-second).</summary>
public enum FunctionArchitecture
{
    X86_64,
    Arm64,
}

/// <summary>How the function package's <c>bootstrap</c> is compiled.</summary>
public enum FunctionBuild
{
    /// <summary>One native executable (x86_64 only: an x64 machine cannot link Native AOT for arm64).</summary>
    NativeAot,

    /// <summary>A self-contained .NET app with ahead-of-time compiled (ReadyToRun) assemblies behind an apphost.</summary>
    ReadyToRun,
}

/// <summary>
/// The stack's settings, read from CDK context (<c>-c key=value</c> or cdk.json) and validated before any construct is
/// made, so a mistyped flag fails synthesis with the flag's name instead of deploying something unintended.
/// </summary>
public sealed partial record StackSettings
{
    public const string TargetKey = "target";
    public const string AnonymousApiKey = "anonymousApi";
    public const string RemovalPolicyKey = "removalPolicy";
    public const string DeletionProtectionKey = "deletionProtection";
    public const string NamePrefixKey = "namePrefix";
    public const string DevOriginsKey = "devOrigins";
    public const string ObjectExpiryDaysKey = "objectExpiryDays";
    public const string ExposeGpsKey = "exposeGps";
    public const string FunctionPackageKey = "functionPackage";
    public const string OriginalsBucketNameKey = "originalsBucketName";
    public const string SelfSignUpKey = "selfSignUp";
    public const string CliCallbackPortKey = "cliCallbackPort";
    public const string AuthDomainPrefixKey = "authDomainPrefix";
    public const string ArchitectureKey = "architecture";
    public const string FunctionBuildKey = "functionBuild";

    /// <summary>Words Cognito refuses in a hosted-domain prefix.</summary>
    public static IReadOnlyList<string> ReservedDomainWords { get; } = ["aws", "amazon", "cognito"];

    /// <summary>Environment variable that overrides the function package folder (when the context does not).</summary>
    public const string FunctionPackageVariable = "IMAGEPIPELINE_FUNCTION_PACKAGE";

    private static readonly string[] s_reservedBucketPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];

    public DeploymentTarget Target { get; init; } = DeploymentTarget.Aws;

    /// <summary>
    /// The demo mode: no Cognito, no authorizer, every caller is the owner <c>anonymous</c> (anyone with the URL can
    /// upload, list and delete). Off by default: on AWS the stack deploys with Cognito sign-in.
    /// </summary>
    public bool AnonymousApi { get; init; }

    /// <summary>Anyone may create an account in the user pool (off: the operator creates users).</summary>
    public bool SelfSignUp { get; init; }

    /// <summary>The port of the CLI's registered loopback redirect, <c>http://localhost:PORT/callback</c>.</summary>
    public int CliCallbackPort { get; init; } = SignInDefaults.CliCallbackPort;

    /// <summary>The hosted sign-in domain's prefix; null for the default derived from the stack name and the account.</summary>
    public string? AuthDomainPrefix { get; init; }

    /// <summary>Whether the stack has Cognito sign-in: on AWS unless <see cref="AnonymousApi"/> (LocalStack's free edition has no Cognito).</summary>
    public bool SignIn => Target == DeploymentTarget.Aws && !AnonymousApi;

    /// <summary>Keep buckets, table and key when the stack is deleted (the default) or destroy them.</summary>
    public bool Retain { get; init; } = true;

    public bool DeletionProtection { get; init; } = true;

    /// <summary>Prefix of the stack name, and so of every generated physical name.</summary>
    public string? NamePrefix { get; init; }

    /// <summary>Origins besides the web page's that may call the API and upload from a browser (e.g. a local dev server).</summary>
    public IReadOnlyList<string> DevOrigins { get; init; } = [];

    /// <summary>When set, objects in both buckets expire after this many days (demo deployments).</summary>
    public int? ObjectExpiryDays { get; init; }

    public bool ExposeGps { get; init; }

    /// <summary>The functions' architecture, and so the package published for them.</summary>
    public FunctionArchitecture Architecture { get; init; } = FunctionArchitecture.X86_64;

    /// <summary>Native AOT (the default on x86_64) or ReadyToRun (the option on x86_64; the only build for arm64).</summary>
    public FunctionBuild FunctionBuild { get; init; } = FunctionBuild.NativeAot;

    /// <summary>An explicit folder holding the published <c>bootstrap</c>; null for the repository's publish output.</summary>
    public string? FunctionPackage { get; init; }

    /// <summary>
    /// The physical name of the originals bucket of a stack deployed before the bucket was named by the stack (its
    /// <c>OriginalsBucketName</c> output). The bucket keeps that name and the notification policies use it; null for a
    /// new stack, whose bucket gets a generated name (see infra/README.md, "Upgrading a deployed stack").
    /// </summary>
    public string? OriginalsBucketName { get; init; }

    public string StackName => NamePrefix is null ? "ImagePipeline" : $"{NamePrefix}-ImagePipeline";

    /// <summary>Reads and validates the settings; <paramref name="context"/> returns a context value or null.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names the context key.</exception>
    public static StackSettings FromContext(Func<string, object?> context, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        environment ??= Environment.GetEnvironmentVariable;

        string? Text(string key) => context(key) switch
        {
            null => null,
            string s when string.IsNullOrWhiteSpace(s) => null,
            string s => s.Trim(),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };

        bool Flag(string key, bool fallback) => Text(key)?.ToLowerInvariant() switch
        {
            null => fallback,
            "true" => true,
            "false" => false,
            var other => throw new ArgumentException($"Context '{key}' must be true or false, not '{other}'."),
        };

        var target = Text(TargetKey)?.ToLowerInvariant() switch
        {
            null or "aws" => DeploymentTarget.Aws,
            "localstack" => DeploymentTarget.LocalStack,
            var other => throw new ArgumentException($"Context '{TargetKey}' must be 'aws' or 'localstack', not '{other}'."),
        };

        var retain = Text(RemovalPolicyKey)?.ToLowerInvariant() switch
        {
            null or "retain" => true,
            "destroy" => false,
            var other => throw new ArgumentException($"Context '{RemovalPolicyKey}' must be 'retain' or 'destroy', not '{other}'."),
        };

        var prefix = Text(NamePrefixKey);
        if (prefix is not null && !NamePrefixPattern().IsMatch(prefix))
        {
            throw new ArgumentException(
                $"Context '{NamePrefixKey}' must start with a letter and hold at most 20 letters, digits or hyphens, not '{prefix}'.");
        }

        // The prefix starts the originals bucket's name, and S3 refuses names that start with these.
        if (prefix is not null && s_reservedBucketPrefixes.Any(r => (prefix + "-").StartsWith(r, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException(
                $"Context '{NamePrefixKey}' starts bucket names, which may not start with {string.Join(", ", s_reservedBucketPrefixes)}: not '{prefix}'.");
        }

        int? expiryDays = null;
        if (Text(ObjectExpiryDaysKey) is { } days)
        {
            if (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                throw new ArgumentException($"Context '{ObjectExpiryDaysKey}' must be a whole number of days (1 or more), not '{days}'.");
            }

            expiryDays = parsed;
        }

        var originalsName = Text(OriginalsBucketNameKey);
        if (originalsName is not null && (!BucketNamePattern().IsMatch(originalsName) || originalsName.Contains("..", StringComparison.Ordinal)))
        {
            throw new ArgumentException(
                $"Context '{OriginalsBucketNameKey}' must be an existing S3 bucket's name (3 to 63 lower-case letters, digits, dots or hyphens), not '{originalsName}'.");
        }

        var port = SignInDefaults.CliCallbackPort;
        if (Text(CliCallbackPortKey) is { } portText)
        {
            // Cognito matches the redirect exactly and the CLI listens there: a port of its own, not a privileged one.
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1024 || port > 65535)
            {
                throw new ArgumentException($"Context '{CliCallbackPortKey}' must be a port number from 1024 to 65535, not '{portText}'.");
            }
        }

        var domainPrefix = Text(AuthDomainPrefixKey);
        if (domainPrefix is not null && (!DomainPrefixPattern().IsMatch(domainPrefix) || ReservedDomainWords.Any(w => domainPrefix.Contains(w, StringComparison.Ordinal))))
        {
            throw new ArgumentException(
                $"Context '{AuthDomainPrefixKey}' must be 1 to 63 lower-case letters, digits or hyphens, neither starting nor ending with a hyphen, " +
                $"without the words {string.Join(", ", ReservedDomainWords)} (Cognito refuses them), and unique in the region: not '{domainPrefix}'.");
        }

        var architecture = Text(ArchitectureKey)?.ToLowerInvariant() switch
        {
            null or "x86_64" => FunctionArchitecture.X86_64,
            "arm64" => FunctionArchitecture.Arm64,
            var other => throw new ArgumentException($"Context '{ArchitectureKey}' must be 'x86_64' or 'arm64', not '{other}'."),
        };

        var build = Text(FunctionBuildKey)?.ToLowerInvariant() switch
        {
            null => architecture == FunctionArchitecture.Arm64 ? FunctionBuild.ReadyToRun : FunctionBuild.NativeAot,
            "aot" => FunctionBuild.NativeAot,
            "readytorun" => FunctionBuild.ReadyToRun,
            var other => throw new ArgumentException($"Context '{FunctionBuildKey}' must be 'aot' or 'readytorun', not '{other}'."),
        };
        if (architecture == FunctionArchitecture.Arm64 && build == FunctionBuild.NativeAot)
        {
            throw new ArgumentException(
                $"Context '{FunctionBuildKey}=aot' is for x86_64 only: the arm64 package is ReadyToRun (Native AOT cannot link arm64 on an x64 build machine). " +
                $"Leave '{FunctionBuildKey}' out with '{ArchitectureKey}=arm64'.");
        }

        var package = Text(FunctionPackageKey);
        if (package is null && environment(FunctionPackageVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            package = fromEnvironment.Trim();
        }

        return new StackSettings
        {
            Target = target,
            AnonymousApi = Flag(AnonymousApiKey, false),
            Retain = retain,
            // Protection follows the removal policy unless given: a throw-away stack must be deletable.
            DeletionProtection = Flag(DeletionProtectionKey, retain),
            NamePrefix = prefix,
            DevOrigins = ParseOrigins(Text(DevOriginsKey)),
            ObjectExpiryDays = expiryDays,
            ExposeGps = Flag(ExposeGpsKey, false),
            Architecture = architecture,
            FunctionBuild = build,
            FunctionPackage = package is null ? null : Path.GetFullPath(package),
            OriginalsBucketName = originalsName,
            SelfSignUp = Flag(SelfSignUpKey, false),
            CliCallbackPort = port,
            AuthDomainPrefix = domainPrefix,
        };
    }

    private static string[] ParseOrigins(string? value)
    {
        if (value is null)
        {
            return [];
        }

        var origins = new List<string>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // An origin is scheme://host[:port] and nothing else; '*' would let any site upload and read through the API.
            if (!Uri.TryCreate(item, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.Host.Contains('*', StringComparison.Ordinal)
                || uri.PathAndQuery != "/" || item.EndsWith('/'))
            {
                throw new ArgumentException(
                    $"Context '{DevOriginsKey}' must be a comma-separated list of origins such as http://localhost:5173 (no path, no wildcard), not '{item}'.");
            }

            origins.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        return [.. origins.Distinct(StringComparer.Ordinal)];
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,19}$")]
    private static partial Regex NamePrefixPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketNamePattern();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DomainPrefixPattern();
}
