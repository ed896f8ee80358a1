using System.Text;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

public sealed class S3FrontTests
{
    [Fact]
    public void DecodeAwsChunked_SignedChunksWithTrailer_ReturnsThePayloadOnly()
    {
        var body = Encoding.ASCII.GetBytes(
            "5;chunk-signature=aaaa\r\nhello\r\n" +
            "6;chunk-signature=bbbb\r\n world\r\n" +
            "0;chunk-signature=cccc\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");

        Assert.Equal("hello world", Encoding.ASCII.GetString(S3Front.DecodeAwsChunked(body)));
    }

    [Fact]
    public void DecodeAwsChunked_UnsignedChunks_ReturnsThePayload()
    {
        var payload = new byte[70_000];
        Random.Shared.NextBytes(payload);
        var body = Encoding.ASCII.GetBytes("11170\r\n").Concat(payload).Concat(Encoding.ASCII.GetBytes("\r\n0\r\n\r\n")).ToArray();

        Assert.Equal(payload, S3Front.DecodeAwsChunked(body));
    }

    [Fact]
    public void DecodeAwsChunked_MissingCrlf_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => S3Front.DecodeAwsChunked(Encoding.ASCII.GetBytes("5\r\nhelloX")));
    }
}
