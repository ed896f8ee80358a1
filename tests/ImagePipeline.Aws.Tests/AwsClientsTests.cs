using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws.Tests;

/// <summary>Clients on an explicit endpoint: the standard environment variables cannot change them.</summary>
public sealed class AwsClientsTests
{
    [Fact]
    public void CreateS3_ExplicitEndpoint_PathStyleOnThatEndpointSignedForTheRegion()
    {
        using var s3 = AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:4566"), "eu-central-1", new BasicAWSCredentials("a", "b"));

        Assert.Equal("http://127.0.0.1:4566/", s3.Config.ServiceURL);
        Assert.Equal("eu-central-1", s3.Config.AuthenticationRegion);
        Assert.True(((AmazonS3Config)s3.Config).ForcePathStyle);
    }
}

/// <summary>
/// Tests of process-wide state: the standard AWS_ENDPOINT_URL* / AWS_REGION variables, which the SDK reads itself
/// whenever a client has no explicit endpoint (a developer with the README's LocalStack variables exported would
/// otherwise see these fail), and AWSConfigs.InitializeCollections. Each test sets what it needs and restores the
/// rest, so the collection runs alone.
/// </summary>
[CollectionDefinition(nameof(EnvironmentVariableTests), DisableParallelization = true)]
[Collection(nameof(EnvironmentVariableTests))]
public sealed class EnvironmentVariableTests
{
    private static readonly string[] StandardVariables =
        ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"];

    [Fact]
    public void CreateS3AndCreateDynamoDb_StandardVariables_ServiceSpecificEndpointWinsOverTheGlobalOne()
    {
        using var _ = new ScopedVariables(new()
        {
            ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566",
            ["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9000",
            ["AWS_REGION"] = "eu-west-3",
        });

        using var s3 = AwsClients.CreateS3(forcePathStyle: true);
        using var dynamo = AwsClients.CreateDynamoDb();

        Assert.Equal("http://127.0.0.1:9000/", s3.Config.ServiceURL);
        Assert.Equal("http://127.0.0.1:4566/", dynamo.Config.ServiceURL);
        Assert.Equal("eu-west-3", s3.Config.RegionEndpoint.SystemName);
        Assert.True(((AmazonS3Config)s3.Config).ForcePathStyle);
    }

    [Fact]
    public void CreateDynamoDb_RegionOnly_UsesTheRegionalEndpoint()
    {
        using var _ = new ScopedVariables(new());

        using var dynamo = AwsClients.CreateDynamoDb(serviceUrl: null, "ap-southeast-2", new BasicAWSCredentials("a", "b"));

        Assert.Null(dynamo.Config.ServiceURL);
        Assert.Equal("ap-southeast-2", dynamo.Config.RegionEndpoint.SystemName);
    }

    [Fact]
    public void PresignDownload_HttpsEndpoint_HttpsUrl()
    {
        using var _ = new ScopedVariables(new());
        using var s3 = AwsClients.CreateS3(forcePathStyle: false, serviceUrl: null, "eu-west-1", new BasicAWSCredentials("AKID", "secret"));
        var buckets = new S3StoreOptions { OriginalsBucket = "originals-b", DerivedBucket = "derived-b" };

        var url = new S3ObjectStore(s3, buckets, TimeProvider.System).PresignDownload(Bucket.Derived, "thumbnails/x/r1/256.webp", TimeSpan.FromMinutes(1));

        Assert.Equal("https", url.Scheme);
        Assert.Equal("derived-b.s3.eu-west-1.amazonaws.com", url.Host);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("dynamodb")]
    public void CreateClient_CollectionsNotInitialized_TurnsInitializeCollectionsOn(string service)
    {
        var saved = AWSConfigs.InitializeCollections;
        try
        {
            AWSConfigs.InitializeCollections = false;

            using IDisposable client = service == "s3"
                ? AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:9"), "us-east-1", new BasicAWSCredentials("a", "b"))
                : AwsClients.CreateDynamoDb(new Uri("http://127.0.0.1:9"), "us-east-1", new BasicAWSCredentials("a", "b"));

            Assert.True(AWSConfigs.InitializeCollections);
        }
        finally
        {
            AWSConfigs.InitializeCollections = saved;
        }
    }

    /// <summary>Clears the standard variables, sets <c>values</c>, and restores all of them on dispose.</summary>
    private sealed class ScopedVariables : IDisposable
    {
        private readonly Dictionary<string, string?> _saved = StandardVariables.ToDictionary(n => n, Environment.GetEnvironmentVariable);

        public ScopedVariables(Dictionary<string, string> values)
        {
            foreach (var name in StandardVariables)
            {
                Environment.SetEnvironmentVariable(name, values.GetValueOrDefault(name));
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
