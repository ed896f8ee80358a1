using ImagePipeline.Testing;
using System.Security.Cryptography;
using ImagePipeline.Contract.Tests.Support;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Storage;

namespace ImagePipeline.Contract.Tests.Local;

public sealed class UrlSignerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    private static readonly Uri BaseUrl = new("http://127.0.0.1:5080/");

    private readonly FakeTimeProvider _clock = new(T0);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(UrlSigner.KeyLength);
    private readonly TempDirectory _directory = new();

    private static readonly string Id = Guid.CreateVersion7(T0).ToString();
    private static readonly string OriginalKey = ObjectKeys.Original(Guid.Parse(Id));

    [Fact]
    public void Verify_FreshUploadUrl_IsValidAndCarriesTheSignedFields()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 2_345_678, Lifetime);

        var check = signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query);

        Assert.True(check.IsValid);
        Assert.Equal(Bucket.Originals, check.Bucket);
        Assert.Equal(OriginalKey, check.Key);
        Assert.Equal("image/jpeg", check.ContentType);
        Assert.Equal(2_345_678, check.ContentLength);
        Assert.Equal(T0 + Lifetime, check.ExpiresAt);
        Assert.Equal(T0 + Lifetime, upload.ExpiresAt);
        Assert.Equal(new Dictionary<string, string> { ["Content-Type"] = "image/jpeg", ["Content-Length"] = "2345678", ["If-None-Match"] = "*" }, upload.Headers);
    }

    [Fact]
    public void Verify_LowerCaseMethodAndQueryWithoutQuestionMark_IsValid()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);

        Assert.True(signer.Verify("put", upload.Url.AbsolutePath, upload.Url.Query.TrimStart('?')).IsValid);
    }

    [Fact]
    public void Verify_TamperedPath_BadSignature()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);
        var otherPath = ObjectPaths.UrlPath(Bucket.Originals, ObjectKeys.Original(Guid.CreateVersion7(T0)));

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("PUT", otherPath, upload.Url.Query).Status);
    }

    [Theory]
    [InlineData("type=image%2Fjpeg", "type=image%2Fpng")]
    [InlineData("length=1234", "length=1235")]
    [InlineData("length=1234", "length=01234")]
    public void Verify_TamperedParameter_BadSignature(string signed, string tampered)
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 1234, Lifetime);
        Assert.Contains(signed, upload.Url.Query, StringComparison.Ordinal);

        var check = signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query.Replace(signed, tampered, StringComparison.Ordinal));

        Assert.Equal(SignedUrlStatus.BadSignature, check.Status);
    }

    [Theory]
    [InlineData('*')]
    [InlineData('+')]
    [InlineData('/')]
    [InlineData('=')]
    [InlineData('é')]
    public void Verify_SignatureWithACharacterOutsideBase64Url_BadSignatureNotAnException(char garbage)
    {
        var signer = NewSigner();
        var download = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);
        var query = System.Web.HttpUtility.ParseQueryString(download.Query);
        var signature = query["sig"]!;
        var garbled = signature[..^1] + garbage;

        var check = signer.Verify("GET", download.AbsolutePath, download.Query.Replace(
            "sig=" + Uri.EscapeDataString(signature), "sig=" + Uri.EscapeDataString(garbled), StringComparison.Ordinal));

        Assert.Equal(SignedUrlStatus.BadSignature, check.Status);
    }

    [Fact]
    public void Verify_ExtendedExpiry_BadSignature()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);
        var expires = (T0 + Lifetime).ToUnixTimeSeconds();
        _clock.Advance(TimeSpan.FromDays(1));

        var query = upload.Url.Query.Replace($"expires={expires}", $"expires={expires + 86_400 * 2}", StringComparison.Ordinal);

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("PUT", upload.Url.AbsolutePath, query).Status);
    }

    [Fact]
    public void Verify_UploadUrlUsedForAnotherMethod_BadSignature()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", upload.Url.AbsolutePath, upload.Url.Query).Status);
        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("DELETE", upload.Url.AbsolutePath, upload.Url.Query).Status);
    }

    [Fact]
    public void Verify_DownloadUrlUsedToUpload_IsRefused()
    {
        var signer = NewSigner();
        var download = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);

        Assert.False(signer.Verify("PUT", download.AbsolutePath, download.Query + "&type=image%2Fjpeg&length=1").IsValid);
    }

    [Fact]
    public void Verify_AfterExpiry_Expired()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);

        _clock.Advance(Lifetime);

        Assert.Equal(SignedUrlStatus.Expired, signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query).Status);
    }

    [Theory]
    [InlineData("sig")]
    [InlineData("expires")]
    [InlineData("type")]
    [InlineData("length")]
    public void Verify_UploadParameterMissing_MissingParameter(string name)
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);
        var query = string.Join('&', upload.Url.Query.TrimStart('?').Split('&').Where(p => !p.StartsWith(name + "=", StringComparison.Ordinal)));

        Assert.Equal(SignedUrlStatus.MissingParameter, signer.Verify("PUT", upload.Url.AbsolutePath, query).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("?expires=soon&sig=abc")]
    public void Verify_NoOrUnparseableParameters_MissingParameter(string? query)
    {
        var signer = NewSigner();

        Assert.Equal(SignedUrlStatus.MissingParameter, signer.Verify("GET", ObjectPaths.UrlPath(Bucket.Originals, OriginalKey), query).Status);
    }

    [Fact]
    public void Verify_RepeatedParameter_BadSignature()
    {
        var signer = NewSigner();
        var upload = signer.PresignUpload(OriginalKey, "image/jpeg", 10, Lifetime);

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query + "&length=10").Status);
    }

    [Theory]
    [InlineData("AAAA")]
    [InlineData("not base64 at all!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Verify_ForgedSignature_BadSignature(string signature)
    {
        var signer = NewSigner();
        var url = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);
        var query = url.Query[..(url.Query.IndexOf("&sig=", StringComparison.Ordinal) + 5)] + Uri.EscapeDataString(signature);

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", url.AbsolutePath, query).Status);
    }

    [Fact]
    public void Verify_SignedWithAnotherKey_BadSignature()
    {
        var url = NewSigner().PresignDownload(Bucket.Originals, OriginalKey, Lifetime);
        var other = new UrlSigner(RandomNumberGenerator.GetBytes(UrlSigner.KeyLength), BaseUrl, _clock);

        Assert.Equal(SignedUrlStatus.BadSignature, other.Verify("GET", url.AbsolutePath, url.Query).Status);
    }

    [Theory]
    [InlineData("/v1/images")]
    [InlineData("/objects/originals/../signing.key")]
    [InlineData("/objects/other/x")]
    public void Verify_PathOutsideTheObjects_BadSignature(string path)
    {
        var signer = NewSigner();
        var url = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", path, url.Query).Status);
    }

    [Fact]
    public void Verify_DownloadWithFileName_IsValidAndCarriesTheName()
    {
        var signer = NewSigner();
        var url = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime, "Été à Paris & co.jpg");

        var check = signer.Verify("GET", url.AbsolutePath, url.Query);

        Assert.True(check.IsValid);
        Assert.Equal("Été à Paris & co.jpg", check.FileName);
        Assert.Null(check.ContentType);
        Assert.Null(check.ContentLength);
    }

    [Fact]
    public void Verify_FileNameRemovedAddedOrChanged_BadSignature()
    {
        var signer = NewSigner();
        var named = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime, "photo.jpg");
        var plain = signer.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);

        var removed = named.Query.Replace("&filename=photo.jpg", "", StringComparison.Ordinal);
        var changed = named.Query.Replace("filename=photo.jpg", "filename=evil.html", StringComparison.Ordinal);
        var added = plain.Query + "&filename=evil.html";

        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", named.AbsolutePath, removed).Status);
        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", named.AbsolutePath, changed).Status);
        Assert.Equal(SignedUrlStatus.BadSignature, signer.Verify("GET", plain.AbsolutePath, added).Status);
    }

    [Fact]
    public void PresignDownload_BaseUrlWithPath_KeepsItAndSignsTheAppPath()
    {
        var signer = new UrlSigner(_key, new Uri("https://example.test/pipeline/"), _clock);

        var url = signer.PresignDownload(Bucket.Derived, "thumbnails/x/r1/256.webp", Lifetime);

        Assert.StartsWith("https://example.test/pipeline/objects/derived/thumbnails/x/r1/256.webp?", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.True(signer.Verify("GET", "/objects/derived/thumbnails/x/r1/256.webp", url.Query).IsValid);
    }

    [Fact]
    public void PresignUpload_DerivedKey_ThrowsArgumentException()
    {
        Assert.ThrowsAny<ArgumentException>(() => NewSigner().PresignUpload("renditions/x/r1/w320.webp", "image/webp", 1, Lifetime));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(8 * 24 * 3600)]
    public void PresignDownload_LifetimeOutOfRange_Throws(int seconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NewSigner().PresignDownload(Bucket.Originals, OriginalKey, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Open_FirstStart_CreatesAnOwnerOnlyKeyThatLaterStartsReuse()
    {
        var first = UrlSigner.Open(_directory.Path, BaseUrl, _clock);
        var keyPath = _directory.Combine(UrlSigner.KeyFileName);

        Assert.Equal(UrlSigner.KeyLength, new FileInfo(keyPath).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        }

        var url = first.PresignDownload(Bucket.Originals, OriginalKey, Lifetime);
        var second = UrlSigner.Open(_directory.Path, BaseUrl, _clock);
        Assert.True(second.Verify("GET", url.AbsolutePath, url.Query).IsValid);
        Assert.Equal(UrlSigner.LoadOrCreateKey(keyPath), File.ReadAllBytes(keyPath));
        Assert.Single(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void LoadOrCreateKey_DamagedKeyFile_Throws()
    {
        var keyPath = _directory.Combine(UrlSigner.KeyFileName);
        File.WriteAllBytes(keyPath, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() => UrlSigner.LoadOrCreateKey(keyPath));
    }

    public void Dispose() => _directory.Dispose();

    private UrlSigner NewSigner() => new(_key, BaseUrl, _clock);
}
