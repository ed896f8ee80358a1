using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ImagePipeline.Aws;

/// <summary>A browser form upload (S3 POST Object): the form's action URL and the fields to send before the file.</summary>
/// <param name="Url">The bucket URL the form posts to.</param>
/// <param name="Fields">Form fields, in order; the file field (<c>file</c>) must come after all of them.</param>
/// <param name="ExpiresAt">When the policy expires.</param>
public sealed record PresignedPost(Uri Url, IReadOnlyList<KeyValuePair<string, string>> Fields, DateTimeOffset ExpiresAt);

/// <summary>Credentials that sign a POST policy (the session token only for temporary credentials).</summary>
/// <param name="AccessKeyId">Access key id.</param>
/// <param name="SecretAccessKey">Secret access key.</param>
/// <param name="SessionToken">Session token of temporary credentials, else null.</param>
internal sealed record SigningCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken);

/// <summary>
/// The POST policy and its SigV4 signature, computed by us because the SDK has no POST presigner. The policy is the
/// string to sign (base64 of the UTF-8 JSON); the key is the usual SigV4 derivation for the <c>s3</c> service.
/// </summary>
internal static class S3PostPolicy
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Builds the policy and form fields for one key, one content type and at most <paramref name="maxBytes"/>.</summary>
    public static PresignedPost Create(
        Uri bucketUrl, string bucket, string key, string contentType, long maxBytes, DateTimeOffset now, TimeSpan expiresIn,
        string region, SigningCredentials credentials)
    {
        var signedAt = now.ToUniversalTime();
        var expiresAt = signedAt + expiresIn;
        var dateStamp = signedAt.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var amzDate = signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var credential = $"{credentials.AccessKeyId}/{dateStamp}/{region}/s3/aws4_request";

        var policy = PolicyDocument(bucket, key, contentType, maxBytes, expiresAt, credential, amzDate, credentials.SessionToken);
        var encodedPolicy = Convert.ToBase64String(policy);
        var signature = Signature(credentials.SecretAccessKey, dateStamp, region, encodedPolicy);

        var fields = new List<KeyValuePair<string, string>>
        {
            new("key", key),
            new("Content-Type", contentType),
            new("x-amz-algorithm", Algorithm),
            new("x-amz-credential", credential),
            new("x-amz-date", amzDate),
        };
        if (credentials.SessionToken is { } token)
        {
            fields.Add(new("x-amz-security-token", token));
        }

        fields.Add(new("policy", encodedPolicy));
        fields.Add(new("x-amz-signature", signature));
        return new PresignedPost(bucketUrl, fields, expiresAt);
    }

    /// <summary>
    /// The policy JSON: expiry (ISO 8601 with milliseconds, UTC), and exact-match conditions on bucket, key,
    /// Content-Type and every signing field, plus <c>content-length-range</c> [1, maxBytes].
    /// </summary>
    public static byte[] PolicyDocument(
        string bucket, string key, string contentType, long maxBytes, DateTimeOffset expiresAt, string credential, string amzDate,
        string? sessionToken)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("expiration", expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartArray("conditions");
            Condition(json, "bucket", bucket);
            Condition(json, "key", key);
            Condition(json, "Content-Type", contentType);
            json.WriteStartArray();
            json.WriteStringValue("content-length-range");
            json.WriteNumberValue(1);
            json.WriteNumberValue(maxBytes);
            json.WriteEndArray();
            Condition(json, "x-amz-algorithm", Algorithm);
            Condition(json, "x-amz-credential", credential);
            Condition(json, "x-amz-date", amzDate);
            if (sessionToken is not null)
            {
                Condition(json, "x-amz-security-token", sessionToken);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Hex HMAC-SHA256 of the base64 policy with the SigV4 signing key of (date, region, s3).</summary>
    public static string Signature(string secretAccessKey, string dateStamp, string region, string encodedPolicy) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(SigningKey(secretAccessKey, dateStamp, region, "s3"), Encoding.UTF8.GetBytes(encodedPolicy)));

    /// <summary>The SigV4 key derivation: HMAC chain over date, region, service and <c>aws4_request</c>.</summary>
    public static byte[] SigningKey(string secretAccessKey, string dateStamp, string region, string service)
    {
        var key = Encoding.UTF8.GetBytes("AWS4" + secretAccessKey);
        foreach (var part in new[] { dateStamp, region, service, "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        return key;
    }

    private static void Condition(Utf8JsonWriter json, string name, string value)
    {
        json.WriteStartObject();
        json.WriteString(name, value);
        json.WriteEndObject();
    }
}
