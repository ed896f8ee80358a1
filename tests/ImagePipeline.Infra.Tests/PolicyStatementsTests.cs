namespace ImagePipeline.Infra.Tests;

/// <summary>The action matching behind the "nothing can delete an original's versions" checks: it must see wildcards.</summary>
public sealed class PolicyStatementsTests
{
    [Theory]
    [InlineData("*", true)]
    [InlineData("s3:*", true)]
    [InlineData("S3:Delete*", true)]
    [InlineData("s3:DeleteObject*", true)]
    [InlineData("s3:Delete*Version", true)]
    [InlineData("s3:DeleteObjectVersio?", true)]
    [InlineData("s3:DeleteObjectVersion", true)]
    [InlineData("s3:DeleteObject", false)]
    [InlineData("s3:DeleteObjectTagging", false)]
    [InlineData("s3:Get*", false)]
    [InlineData("sqs:*", false)]
    public void Covers_ActionPattern_MatchesLikeIam(string pattern, bool expected) =>
        Assert.Equal(expected, PolicyStatements.Covers(pattern, "s3:DeleteObjectVersion"));
}
