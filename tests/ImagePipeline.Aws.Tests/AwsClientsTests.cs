using Amazon.Runtime;
using Amazon.S3;

namespace ImagePipeline.Aws.Tests;

public sealed class AwsClientsTests
{
    [Fact]
    public void CreateS3_ExplicitEndpoint_PathStyleOnThatEndpointSignedForTheRegion()
    {
        using var s3 = AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:4566"), "eu-central-1", new BasicAWSCredentials("a", "b"));

        Assert.Equal("http://127.0.0.1:4566/", s3.Config.ServiceURL);
        Assert.Equal("eu-central-1", s3.Config.AuthenticationRegion);
        Assert.True(((AmazonS3Config)s3.Config).ForcePathStyle);
        Assert.True(Amazon.AWSConfigs.InitializeCollections);
    }

    [Fact]
    public void CreateDynamoDb_RegionOnly_UsesTheRegionalEndpoint()
    {
        using var dynamo = AwsClients.CreateDynamoDb(serviceUrl: null, "ap-southeast-2", new BasicAWSCredentials("a", "b"));

        Assert.Null(dynamo.Config.ServiceURL);
        Assert.Equal("ap-southeast-2", dynamo.Config.RegionEndpoint.SystemName);
    }
}

/// <summary>
/// Proves that SDK v4 itself honours the standard endpoint variables, which is why AwsClients does not read them.
/// Changes process-wide environment variables, so it runs alone.
/// </summary>
[CollectionDefinition(nameof(EnvironmentVariableTests), DisableParallelization = true)]
[Collection(nameof(EnvironmentVariableTests))]
public sealed class EnvironmentVariableTests
{
    [Fact]
    public void CreateS3AndCreateDynamoDb_StandardVariables_ServiceSpecificEndpointWinsOverTheGlobalOne()
    {
        var saved = new[] { "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION" }
            .ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000");
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB", null);
            Environment.SetEnvironmentVariable("AWS_REGION", "eu-west-3");

            using var s3 = AwsClients.CreateS3(forcePathStyle: true);
            using var dynamo = AwsClients.CreateDynamoDb();

            Assert.Equal("http://127.0.0.1:9000/", s3.Config.ServiceURL);
            Assert.Equal("http://127.0.0.1:4566/", dynamo.Config.ServiceURL);
            Assert.Equal("eu-west-3", s3.Config.RegionEndpoint.SystemName);
            Assert.True(((AmazonS3Config)s3.Config).ForcePathStyle);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
