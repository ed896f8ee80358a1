using System.Text.Json;
using ImagePipeline.Core.Events;
using ImagePipeline.Functions.Events;

namespace ImagePipeline.Functions.Tests;

public sealed class EventModelTests
{
    [Fact]
    public void SqsEvent_GoldenBatch_ReadsIdsReceiveCountsAndBodies()
    {
        var batch = JsonSerializer.Deserialize(Golden.Bytes("sqs-batch.json"), FunctionJsonContext.Default.SqsEvent)!;

        Assert.Equal(["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"], batch.Records!.Select(r => r.MessageId));
        Assert.Equal([1, 5], batch.Records!.Select(r => r.ReceiveCount));
        Assert.Equal("arn:aws:sqs:eu-west-1:123456789012:imagepipeline-resize", batch.Records![0].EventSourceArn);
        Assert.Equal("aws:sqs", batch.Records![0].EventSource);
        Assert.Equal("1763806530123", batch.Records![0].Attributes!.SentTimestamp);

        var put = Assert.Single(S3EventParser.Parse(batch.Records![0].Body!));
        Assert.Equal(("imagepipeline-originals", "originals/01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6", 1048576L, "d41d8cd98f00b204e9800998ecf8427e"), (put.Bucket, put.Key, put.Size, put.ETag));
        Assert.Empty(S3EventParser.Parse(batch.Records![1].Body!));
    }

    [Theory]
    [InlineData("s3-put.json", 1)]
    [InlineData("s3-multiple-records.json", 2)]
    [InlineData("s3-encoded-key.json", 1)]
    [InlineData("s3-test-event.json", 0)]
    public void SqsEvent_GoldenS3NotificationAsBody_RoundTripsAndParses(string file, int created)
    {
        var message = new SqsMessage("m-1", "handle", Golden.Read(file), new SqsMessageAttributes("2", null, null, null), null, "aws:sqs", null, "eu-west-1");
        var json = JsonSerializer.Serialize(new SqsEvent([message]), FunctionJsonContext.Default.SqsEvent);

        var read = JsonSerializer.Deserialize(json, FunctionJsonContext.Default.SqsEvent)!;

        var record = Assert.Single(read.Records!);
        Assert.Equal(Golden.Read(file), record.Body);
        Assert.Equal(2, record.ReceiveCount);
        Assert.Equal(created, S3EventParser.Parse(record.Body!).Count);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData("", 1)]
    [InlineData("0", 1)]
    [InlineData("x", 1)]
    [InlineData("7", 7)]
    public void ReceiveCount_MissingOrInvalid_CountsAsFirstReceive(string? attribute, int expected)
    {
        var message = new SqsMessage("m", null, "{}", attribute is null ? null : new SqsMessageAttributes(attribute, null, null, null), null, null, null, null);

        Assert.Equal(expected, message.ReceiveCount);
    }

    [Fact]
    public void SqsBatchResponse_Serialized_HasLambdaShape()
    {
        var json = JsonSerializer.Serialize(new SqsBatchResponse([new SqsBatchItemFailure("id-1")]), FunctionJsonContext.Default.SqsBatchResponse);

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"id-1"}]}""", json);
        Assert.Equal("""{"batchItemFailures":[]}""", JsonSerializer.Serialize(new SqsBatchResponse([]), FunctionJsonContext.Default.SqsBatchResponse));
    }

    [Fact]
    public void HttpApiRequest_GoldenRequest_ReadsPayloadV2Fields()
    {
        var request = JsonSerializer.Deserialize(Golden.Bytes("apigw-v2-request.json"), FunctionJsonContext.Default.HttpApiRequest)!;

        Assert.Equal("2.0", request.Version);
        Assert.Equal("/v1/images", request.RawPath);
        Assert.Equal("limit=5&cursor=abc%2Bdef", request.RawQueryString);
        Assert.Equal(["session=abc"], request.Cookies);
        Assert.Equal("application/json", request.Headers!["content-type"]);
        Assert.Equal("GET", request.RequestContext!.Http!.Method);
        Assert.Equal("203.0.113.10", request.RequestContext.Http.SourceIp);
        Assert.Equal("JKJaXmPLvHcESHA=", request.RequestContext.RequestId);
        Assert.Equal(1763806530123, request.RequestContext.TimeEpoch);
        Assert.False(request.IsBase64Encoded);
        Assert.Null(request.Body);
    }

    [Fact]
    public void HttpApiResponse_Serialized_HasPayloadV2ShapeWithoutNullCookies()
    {
        var response = new HttpApiResponse(302, new Dictionary<string, string> { ["Location"] = "https://x/y" }, null, "", false);

        var json = JsonSerializer.Serialize(response, FunctionJsonContext.Default.HttpApiResponse);

        Assert.Equal("""{"statusCode":302,"headers":{"Location":"https://x/y"},"body":"","isBase64Encoded":false}""", json);
    }
}
