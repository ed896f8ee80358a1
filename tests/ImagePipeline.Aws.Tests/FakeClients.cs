using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// An S3 client whose calls never leave the process: the real SDK client (so presigning is the SDK's own) with the
/// operations the store calls overridden to record requests and answer or throw what a test sets.
/// </summary>
internal sealed class FakeS3Client() : AmazonS3Client(new BasicAWSCredentials("AKID", "secret"), AwsClients.S3Config(true, new Uri("http://127.0.0.1:9"), "us-east-1"))
{
    public List<DeleteObjectsRequest> Deletes { get; } = [];

    public Func<GetObjectRequest, GetObjectResponse>? OnGet { get; set; }

    public Func<DeleteObjectsRequest, DeleteObjectsResponse>? OnDelete { get; set; }

    public override Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult((OnGet ?? throw new InvalidOperationException("No GET answer set."))(request));

    public override Task<DeleteObjectsResponse> DeleteObjectsAsync(DeleteObjectsRequest request, CancellationToken cancellationToken = default)
    {
        Deletes.Add(request);
        return Task.FromResult(OnDelete?.Invoke(request) ?? new DeleteObjectsResponse());
    }
}

/// <summary>A DynamoDB client whose writes throw what a test sets (throttling, a failed condition with the old item).</summary>
internal sealed class FakeDynamoDbClient() : AmazonDynamoDBClient(new BasicAWSCredentials("AKID", "secret"), AwsClients.DynamoDbConfig(new Uri("http://127.0.0.1:9"), "us-east-1"))
{
    public Exception? Failure { get; set; }

    public Dictionary<string, AttributeValue>? StoredItem { get; set; }

    public List<UpdateItemRequest> Updates { get; } = [];

    public override Task<UpdateItemResponse> UpdateItemAsync(UpdateItemRequest request, CancellationToken cancellationToken = default)
    {
        Updates.Add(request);
        return Failure is null ? Task.FromResult(new UpdateItemResponse()) : Task.FromException<UpdateItemResponse>(Failure);
    }

    public override Task<PutItemResponse> PutItemAsync(PutItemRequest request, CancellationToken cancellationToken = default) =>
        Failure is null ? Task.FromResult(new PutItemResponse()) : Task.FromException<PutItemResponse>(Failure);

    public override Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default) =>
        Failure is not null && StoredItem is null
            ? Task.FromException<GetItemResponse>(Failure)
            : Task.FromResult(new GetItemResponse { Item = StoredItem ?? [], IsItemSet = StoredItem is not null });
}
