using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SimpleSystemsManagement;
using Amazon.SQS;

namespace ImagePipeline.Aws;

/// <summary>
/// Creates the SDK clients. The parameterless forms rely on the SDK's own configuration chain: AWS SDK for .NET v4
/// reads <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL_DYNAMODB</c> / <c>AWS_ENDPOINT_URL_SQS</c> (service-specific first), then
/// <c>AWS_ENDPOINT_URL</c>, and <c>AWS_REGION</c> when it builds a client config, so the same binary points at AWS,
/// LocalStack or local emulators without code of ours parsing those variables (a test proves it does).
/// </summary>
public static class AwsClients
{
    /// <summary>An S3 client configured from the environment; path-style addressing for emulators and LocalStack.</summary>
    public static IAmazonS3 CreateS3(bool forcePathStyle)
    {
        InitializeSdk();
        return new AmazonS3Client(S3Config(forcePathStyle, serviceUrl: null, region: null));
    }

    /// <summary>A DynamoDB client configured from the environment.</summary>
    public static IAmazonDynamoDB CreateDynamoDb()
    {
        InitializeSdk();
        return new AmazonDynamoDBClient(DynamoDbConfig(serviceUrl: null, region: null));
    }

    /// <summary>An SQS client configured from the environment.</summary>
    public static IAmazonSQS CreateSqs()
    {
        InitializeSdk();
        return new AmazonSQSClient(SqsConfig(serviceUrl: null, region: null));
    }

    /// <summary>An SSM client configured from the environment (<c>AWS_ENDPOINT_URL_SSM</c> first, as for the others).</summary>
    public static IAmazonSimpleSystemsManagement CreateSsm()
    {
        InitializeSdk();
        var config = new AmazonSimpleSystemsManagementConfig();
        Apply(config, serviceUrl: null, region: null);
        return new AmazonSimpleSystemsManagementClient(config);
    }

    /// <summary>
    /// An S3 client for an explicit endpoint, region and credentials (tests, tooling); <paramref name="configure"/> may
    /// adjust the config last (retries, an HTTP client factory).
    /// </summary>
    public static IAmazonS3 CreateS3(bool forcePathStyle, Uri? serviceUrl, string? region, AWSCredentials credentials, Action<ClientConfig>? configure = null)
    {
        InitializeSdk();
        var config = S3Config(forcePathStyle, serviceUrl, region);
        configure?.Invoke(config);
        return new AmazonS3Client(credentials, config);
    }

    /// <summary>
    /// A DynamoDB client for an explicit endpoint, region and credentials (tests, tooling); <paramref name="configure"/>
    /// may adjust the config last (retries, an HTTP client factory).
    /// </summary>
    public static IAmazonDynamoDB CreateDynamoDb(Uri? serviceUrl, string? region, AWSCredentials credentials, Action<ClientConfig>? configure = null)
    {
        InitializeSdk();
        var config = DynamoDbConfig(serviceUrl, region);
        configure?.Invoke(config);
        return new AmazonDynamoDBClient(credentials, config);
    }

    /// <summary>
    /// An SQS client for an explicit endpoint, region and credentials (tests, tooling); <paramref name="configure"/> may
    /// adjust the config last (retries, an HTTP client factory).
    /// </summary>
    public static IAmazonSQS CreateSqs(Uri? serviceUrl, string? region, AWSCredentials credentials, Action<ClientConfig>? configure = null)
    {
        InitializeSdk();
        var config = SqsConfig(serviceUrl, region);
        configure?.Invoke(config);
        return new AmazonSQSClient(credentials, config);
    }

    internal static AmazonS3Config S3Config(bool forcePathStyle, Uri? serviceUrl, string? region)
    {
        var config = new AmazonS3Config { ForcePathStyle = forcePathStyle };
        Apply(config, serviceUrl, region);
        return config;
    }

    internal static AmazonDynamoDBConfig DynamoDbConfig(Uri? serviceUrl, string? region)
    {
        var config = new AmazonDynamoDBConfig();
        Apply(config, serviceUrl, region);
        return config;
    }

    internal static AmazonSQSConfig SqsConfig(Uri? serviceUrl, string? region)
    {
        var config = new AmazonSQSConfig();
        Apply(config, serviceUrl, region);
        return config;
    }

    /// <summary>
    /// SDK v4 returns null instead of empty collections unless told otherwise; the adapters treat "no items" and
    /// "no list" alike only because this is set before any client exists.
    /// </summary>
    internal static void InitializeSdk() => AWSConfigs.InitializeCollections = true;

    private static void Apply(ClientConfig config, Uri? serviceUrl, string? region)
    {
        if (serviceUrl is not null)
        {
            // In the SDK, ServiceURL and RegionEndpoint exclude each other (setting one clears the other); with an
            // explicit endpoint the region only names the signing scope.
            config.ServiceURL = serviceUrl.ToString();
            config.AuthenticationRegion = region ?? config.AuthenticationRegion;
        }
        else if (region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
    }
}
