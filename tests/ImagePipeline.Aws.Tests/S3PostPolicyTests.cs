using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using ImagePipeline.Contract.Tests.Support;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws.Tests;

public sealed class S3PostPolicyTests
{
    private const string ExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    // The worked example "Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)" of the S3 API
    // reference: its base64 policy (the string to sign) and the signature AWS publishes for it.
    private const string ExamplePolicy =
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";

    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Key = ObjectKeys.Original(Guid.CreateVersion7(T0));

    [Fact]
    public void Signature_AwsDocumentationExample_MatchesThePublishedSignature()
    {
        Assert.Equal(
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e",
            S3PostPolicy.Signature(ExampleSecret, "20151229", "us-east-1", ExamplePolicy));
    }

    [Fact]
    public void Create_Fields_CarryTheSigningScopeAndAPolicySignedWithIt()
    {
        var post = Create(new SigningCredentials("AKIAIOSFODNN7EXAMPLE", ExampleSecret, null));

        var fields = post.Fields.ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal(["key", "Content-Type", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy", "x-amz-signature"], post.Fields.Select(f => f.Key));
        Assert.Equal(Key, fields["key"]);
        Assert.Equal("image/jpeg", fields["Content-Type"]);
        Assert.Equal("AWS4-HMAC-SHA256", fields["x-amz-algorithm"]);
        Assert.Equal("AKIAIOSFODNN7EXAMPLE/20250601/eu-west-1/s3/aws4_request", fields["x-amz-credential"]);
        Assert.Equal("20250601T120000Z", fields["x-amz-date"]);
        // Recomputed independently of S3PostPolicy: HMAC chain from "AWS4" + secret over date, region, service.
        var key = Encoding.UTF8.GetBytes("AWS4" + ExampleSecret);
        foreach (var part in new[] { "20250601", "eu-west-1", "s3", "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(fields["policy"]))), fields["x-amz-signature"]);
        Assert.Equal(T0.AddMinutes(15), post.ExpiresAt);
        Assert.Equal(new Uri("https://originals.s3.eu-west-1.amazonaws.com/"), post.Url);
    }

    [Fact]
    public void Create_Policy_ExpiresAndBindsBucketKeyTypeLengthRangeAndSigningFields()
    {
        var post = Create(new SigningCredentials("AKID", "secret", null));

        using var policy = JsonDocument.Parse(Convert.FromBase64String(post.Fields.Single(f => f.Key == "policy").Value));
        Assert.Equal("2025-06-01T12:15:00.000Z", policy.RootElement.GetProperty("expiration").GetString());
        var conditions = policy.RootElement.GetProperty("conditions").EnumerateArray().Select(c => c.GetRawText()).ToArray();
        Assert.Equal(
        [
            "{\"bucket\":\"originals\"}",
            $"{{\"key\":\"{Key}\"}}",
            "{\"Content-Type\":\"image/jpeg\"}",
            "[\"content-length-range\",1,52428800]",
            "{\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\"}",
            "{\"x-amz-credential\":\"AKID/20250601/eu-west-1/s3/aws4_request\"}",
            "{\"x-amz-date\":\"20250601T120000Z\"}",
        ], conditions);
    }

    [Fact]
    public void Create_SessionCredentials_TokenIsAFieldAndAPolicyCondition()
    {
        var post = Create(new SigningCredentials("ASIAKID", "secret", "token/with+chars="));

        Assert.Equal("token/with+chars=", post.Fields.Single(f => f.Key == "x-amz-security-token").Value);
        using var policy = JsonDocument.Parse(Convert.FromBase64String(post.Fields.Single(f => f.Key == "policy").Value));
        Assert.Contains(policy.RootElement.GetProperty("conditions").EnumerateArray(),
            c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("x-amz-security-token", out var t) && t.GetString() == "token/with+chars=");
    }

    [Fact]
    public void PresignUploadPost_StoreOnACustomEndpoint_PostsToThePathStyleBucketUrlWithTheClientsCredentials()
    {
        var clock = new FakeTimeProvider(T0);
        using var s3 = AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:4566"), "us-east-1", new SessionAWSCredentials("AKID", "secret", "session"));
        var store = new S3ObjectStore(s3, new S3StoreOptions { OriginalsBucket = "up", DerivedBucket = "down" }, clock,
            new SessionAWSCredentials("AKID", "secret", "session"));

        var post = store.PresignUploadPost(Key, "image/png", 1000, TimeSpan.FromMinutes(5));

        Assert.Equal(new Uri("http://127.0.0.1:4566/up/"), post.Url);
        var fields = post.Fields.ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal("AKID/20250601/us-east-1/s3/aws4_request", fields["x-amz-credential"]);
        Assert.Equal("session", fields["x-amz-security-token"]);
        Assert.Equal(T0.AddMinutes(5), post.ExpiresAt);
    }

    [Fact]
    public void PresignUploadPost_DerivedKey_ThrowsArgumentException()
    {
        using var s3 = AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:4566"), "us-east-1", new BasicAWSCredentials("a", "b"));
        var store = new S3ObjectStore(s3, new S3StoreOptions { OriginalsBucket = "up", DerivedBucket = "down" }, TimeProvider.System);

        Assert.ThrowsAny<ArgumentException>(() => store.PresignUploadPost("renditions/x/r1/w320.webp", "image/png", 1000, TimeSpan.FromMinutes(5)));
    }

    private static PresignedPost Create(SigningCredentials credentials) => S3PostPolicy.Create(
        new Uri("https://originals.s3.eu-west-1.amazonaws.com/"), "originals", Key, "image/jpeg", 52_428_800, T0, TimeSpan.FromMinutes(15),
        "eu-west-1", credentials);
}
