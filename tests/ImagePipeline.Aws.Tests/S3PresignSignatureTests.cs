using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The SigV4 query-string signatures of presigned URLs, recomputed here from the specification with an HMAC chain of
/// the test's own (canonical request, string to sign, signing key derived from known credentials). The emulators cannot
/// prove them: s3rver runs with allowMismatchedSignatures.
/// </summary>
public sealed class S3PresignSignatureTests
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string Region = "eu-west-1";
    private const string DownloadName = "Été à Paris.jpg";
    private static readonly S3StoreOptions Buckets = new() { OriginalsBucket = "originals-b", DerivedBucket = "derived-b" };
    private static readonly string Original = ObjectKeys.Original(Guid.CreateVersion7());

    [Fact]
    public void PresignUpload_KnownCredentials_SignatureEqualsAnIndependentSigV4Computation()
    {
        var upload = Presign(store => store.PresignUpload(Original, "image/jpeg", 2_345_678, TimeSpan.FromMinutes(15)));
        var query = Query(upload.Url);

        Assert.Equal("AWS4-HMAC-SHA256", query["X-Amz-Algorithm"]);
        Assert.Equal($"{AccessKey}/{query["X-Amz-Date"][..8]}/{Region}/s3/aws4_request", query["X-Amz-Credential"]);
        var headers = SignedHeaders(upload.Url, upload.Headers);
        Assert.Equal("content-length;content-type;host;if-none-match", string.Join(';', headers.Keys.Order(StringComparer.Ordinal)));
        Assert.Equal(query["X-Amz-SignedHeaders"], string.Join(';', headers.Keys.Order(StringComparer.Ordinal)));
        Assert.Equal(query["X-Amz-Signature"], Signature("PUT", upload.Url, headers));
    }

    [Theory]
    [InlineData("content-type", "image/png")]
    [InlineData("content-length", "2345679")]
    [InlineData("if-none-match", "\"abc\"")]
    public void PresignUpload_SignedHeaderChanged_SignatureNoLongerMatches(string header, string value)
    {
        var upload = Presign(store => store.PresignUpload(Original, "image/jpeg", 2_345_678, TimeSpan.FromMinutes(15)));
        var headers = SignedHeaders(upload.Url, upload.Headers);
        Assert.Equal(Query(upload.Url)["X-Amz-Signature"], Signature("PUT", upload.Url, headers));

        headers[header] = value;

        Assert.NotEqual(Query(upload.Url)["X-Amz-Signature"], Signature("PUT", upload.Url, headers));
    }

    [Fact]
    public void PresignDownload_WithFileName_SignatureCoversResponseContentDisposition()
    {
        var url = Presign(store => store.PresignDownload(Bucket.Originals, Original, TimeSpan.FromMinutes(15), DownloadName));
        var query = Query(url);
        var headers = SignedHeaders(url, new Dictionary<string, string>());

        Assert.Equal($"{AccessKey}/{query["X-Amz-Date"][..8]}/{Region}/s3/aws4_request", query["X-Amz-Credential"]);
        Assert.Equal("host", query["X-Amz-SignedHeaders"]);
        Assert.Equal(ContentDisposition.For(DownloadName), query["response-content-disposition"]);
        Assert.Equal(query["X-Amz-Signature"], Signature("GET", url, headers));
        Assert.NotEqual(query["X-Amz-Signature"], Signature("GET", url, headers, ("response-content-disposition", "attachment")));
        Assert.NotEqual(query["X-Amz-Signature"], Signature("PUT", url, headers));
    }

    [Fact]
    public void PresignDownload_DerivedObject_SignatureEqualsAnIndependentSigV4Computation()
    {
        var url = Presign(store => store.PresignDownload(Bucket.Derived, "thumbnails/x/r1/256.webp", TimeSpan.FromMinutes(1)));

        Assert.Equal("/derived-b/thumbnails/x/r1/256.webp", url.AbsolutePath);
        Assert.Equal(Query(url)["X-Amz-Signature"], Signature("GET", url, SignedHeaders(url, new Dictionary<string, string>())));
    }

    private static T Presign<T>(Func<S3ObjectStore, T> presign)
    {
        using var s3 = AwsClients.CreateS3(forcePathStyle: true, new Uri("http://127.0.0.1:9000"), Region, new BasicAWSCredentials(AccessKey, SecretKey));
        return presign(new S3ObjectStore(s3, Buckets, TimeProvider.System));
    }

    // The headers a client must send, plus Host, lower-cased as SigV4 canonicalizes them.
    private static Dictionary<string, string> SignedHeaders(Uri url, IReadOnlyDictionary<string, string> headers)
    {
        var signed = headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Trim(), StringComparer.Ordinal);
        signed["host"] = url.Authority;
        return signed;
    }

    private static Dictionary<string, string> Query(Uri url) =>
        url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty, StringComparer.Ordinal);

    // AWS Signature Version 4, query-string authentication for S3 (UNSIGNED-PAYLOAD), written out step by step.
    private static string Signature(string method, Uri url, IReadOnlyDictionary<string, string> headers, params (string Name, string Value)[] queryChanges)
    {
        var query = Query(url);
        query.Remove("X-Amz-Signature");
        foreach (var (name, value) in queryChanges)
        {
            query[name] = value;
        }

        var canonicalQuery = string.Join('&', query
            .Select(p => (Name: Rfc3986(p.Key), Value: Rfc3986(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
        var sortedHeaders = headers.OrderBy(h => h.Key, StringComparer.Ordinal).ToArray();
        var canonicalHeaders = string.Concat(sortedHeaders.Select(h => $"{h.Key}:{h.Value}\n"));
        var signedHeaders = string.Join(';', sortedHeaders.Select(h => h.Key));
        var canonicalRequest = string.Join('\n', method, url.AbsolutePath, canonicalQuery, canonicalHeaders, signedHeaders, "UNSIGNED-PAYLOAD");

        var amzDate = query["X-Amz-Date"];
        var day = amzDate[..8];
        var scope = $"{day}/{Region}/s3/aws4_request";
        var stringToSign = string.Join('\n', "AWS4-HMAC-SHA256", amzDate, scope, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

        var signingKey = Encoding.UTF8.GetBytes("AWS4" + SecretKey);
        foreach (var part in new[] { day, Region, "s3", "aws4_request" })
        {
            signingKey = HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(part));
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));
    }

    // Uri.EscapeDataString escapes everything but the RFC 3986 unreserved characters, as SigV4 requires.
    private static string Rfc3986(string value) => Uri.EscapeDataString(value);
}
