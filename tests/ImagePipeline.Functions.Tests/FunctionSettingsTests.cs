using ImagePipeline.Core.Services;
using ImagePipeline.Functions.Hosting;

namespace ImagePipeline.Functions.Tests;

public sealed class FunctionSettingsTests
{
    private static readonly string Key = Convert.ToBase64String(new byte[32]);

    private static Dictionary<string, string?> Complete(string handler) => new()
    {
        [PipelineEnvironment.Handler] = handler,
        [PipelineEnvironment.OriginalsBucket] = "originals",
        [PipelineEnvironment.DerivedBucket] = "derived",
        [PipelineEnvironment.Table] = "images",
        [PipelineEnvironment.CursorKey] = Key,
        [SignInEnvironment.Mode] = SignInEnvironment.AnonymousMode,
        [PipelineEnvironment.ResizeQueueUrl] = "https://sqs.us-east-1.amazonaws.com/123456789012/resize",
        [PipelineEnvironment.ThumbnailQueueUrl] = "https://sqs.us-east-1.amazonaws.com/123456789012/thumbnail",
        [PipelineEnvironment.ResizeDeadLetterQueueArn] = "arn:aws:sqs:us-east-1:123456789012:resize-dlq",
        [PipelineEnvironment.ThumbnailDeadLetterQueueArn] = "arn:aws:sqs:us-east-1:123456789012:thumbnail-dlq",
    };

    private static FunctionSettings Read(Dictionary<string, string?> environment) => FunctionSettings.Read(name => environment.GetValueOrDefault(name));

    [Fact]
    public void Read_Complete_ValuesAndDefaults()
    {
        var settings = Read(Complete("api"));

        Assert.Equal(("api", "originals", "derived", "images"), (settings.Handler, settings.OriginalsBucket, settings.DerivedBucket, settings.Table));
        Assert.Equal(32, settings.CursorKey!.Length);
        Assert.Equal((5, false, false), (settings.MaxReceives, settings.ExposeGps, settings.S3PathStyle));
        Assert.Equal(new Uri("https://sqs.us-east-1.amazonaws.com/123456789012/resize"), settings.ResizeQueueUrl);
        Assert.Equal(new Uri("https://sqs.us-east-1.amazonaws.com/123456789012/thumbnail"), settings.ThumbnailQueueUrl);
        Assert.Null(settings.ResizeDeadLetterQueueArn);
    }

    [Fact]
    public void Read_DeadLetter_QueueArnsAndNoCursorKeyOrQueueUrls()
    {
        var environment = Complete("deadletter");
        environment.Remove(PipelineEnvironment.CursorKey);
        environment.Remove(PipelineEnvironment.ResizeQueueUrl);

        var settings = Read(environment);

        Assert.Equal(("arn:aws:sqs:us-east-1:123456789012:resize-dlq", "arn:aws:sqs:us-east-1:123456789012:thumbnail-dlq"),
            (settings.ResizeDeadLetterQueueArn, settings.ThumbnailDeadLetterQueueArn));
        Assert.Null(settings.CursorKey);
        Assert.Null(settings.ResizeQueueUrl);
    }

    [Theory]
    [InlineData(PipelineEnvironment.ResizeDeadLetterQueueArn)]
    [InlineData(PipelineEnvironment.ThumbnailDeadLetterQueueArn)]
    [InlineData(PipelineEnvironment.Table)]
    public void Read_DeadLetterMissingVariable_MessageNamesIt(string missing)
    {
        var environment = Complete("deadletter");
        environment.Remove(missing);

        var error = Assert.Throws<FunctionConfigurationException>(() => Read(environment));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_StagesNeedNeitherQueueUrlsNorDeadLetterArns()
    {
        var environment = Complete("resize");
        environment.Remove(PipelineEnvironment.ResizeQueueUrl);
        environment.Remove(PipelineEnvironment.ThumbnailQueueUrl);
        environment.Remove(PipelineEnvironment.ResizeDeadLetterQueueArn);
        environment.Remove(PipelineEnvironment.ThumbnailDeadLetterQueueArn);

        var settings = Read(environment);

        Assert.Equal((null, null, null, null), (settings.ResizeQueueUrl, settings.ThumbnailQueueUrl, settings.ResizeDeadLetterQueueArn, settings.ThumbnailDeadLetterQueueArn));
    }

    [Theory]
    [InlineData(PipelineEnvironment.Table)]
    [InlineData(PipelineEnvironment.OriginalsBucket)]
    [InlineData(PipelineEnvironment.DerivedBucket)]
    [InlineData(PipelineEnvironment.Handler)]
    [InlineData(PipelineEnvironment.CursorKey)]
    [InlineData(PipelineEnvironment.ResizeQueueUrl)]
    [InlineData(PipelineEnvironment.ThumbnailQueueUrl)]
    public void Read_ApiMissingVariable_MessageNamesIt(string missing)
    {
        var environment = Complete("api");
        environment[missing] = " ";

        var error = Assert.Throws<FunctionConfigurationException>(() => Read(environment));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_StageWithoutCursorKey_Accepted()
    {
        var environment = Complete("thumbnail");
        environment.Remove(PipelineEnvironment.CursorKey);

        Assert.Null(Read(environment).CursorKey);
    }

    [Theory]
    [InlineData(PipelineEnvironment.Handler, "resizer")]
    [InlineData(PipelineEnvironment.CursorKey, "c2hvcnQ=")]
    [InlineData(PipelineEnvironment.CursorKey, "%%%")]
    [InlineData(PipelineEnvironment.MaxReceives, "0")]
    [InlineData(PipelineEnvironment.MaxReceives, "five")]
    [InlineData(PipelineEnvironment.ExposeGps, "yes")]
    [InlineData(PipelineEnvironment.S3PathStyle, "maybe")]
    [InlineData(PipelineEnvironment.ResizeQueueUrl, "resize")]
    [InlineData(PipelineEnvironment.ThumbnailQueueUrl, "arn:aws:sqs:us-east-1:123456789012:thumbnail")]
    [InlineData(PipelineEnvironment.ThumbnailQueueUrl, "https://sqs.us-east-1.amazonaws.com/")]
    public void Read_InvalidValue_MessageNamesTheVariable(string name, string value)
    {
        var environment = Complete("api");
        environment[name] = value;

        var error = Assert.Throws<FunctionConfigurationException>(() => Read(environment));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OptionalValues_Parsed()
    {
        var environment = Complete("resize");
        environment[PipelineEnvironment.MaxReceives] = "3";
        environment[PipelineEnvironment.ExposeGps] = "TRUE";
        environment[PipelineEnvironment.S3PathStyle] = "1";

        var settings = Read(environment);

        Assert.Equal((3, true, true), (settings.MaxReceives, settings.ExposeGps, settings.S3PathStyle));
    }

    [Theory]
    [InlineData(PipelineEnvironment.ResizeDeadLetterQueueArn, "https://sqs.us-east-1.amazonaws.com/123456789012/resize-dlq")]
    [InlineData(PipelineEnvironment.ThumbnailDeadLetterQueueArn, "arn:aws:sns:us-east-1:123456789012:topic")]
    [InlineData(PipelineEnvironment.ThumbnailDeadLetterQueueArn, "arn:aws:sqs:us-east-1:123456789012")]
    public void Read_DeadLetterInvalidArn_MessageNamesTheVariable(string name, string value)
    {
        var environment = Complete("deadletter");
        environment[name] = value;

        var error = Assert.Throws<FunctionConfigurationException>(() => Read(environment));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SignInEnvironment.Mode)]
    [InlineData(SignInEnvironment.Authority)]
    [InlineData(SignInEnvironment.ClientId)]
    [InlineData(SignInEnvironment.Scopes)]
    [InlineData(SignInEnvironment.LogoutUrl)]
    [InlineData(SignInEnvironment.CliRedirectUri)]
    public void Read_CognitoApiMissingASignInVariable_MessageNamesIt(string missing)
    {
        var environment = Complete("api");
        environment[SignInEnvironment.Mode] = SignInEnvironment.CognitoMode;
        environment[SignInEnvironment.Authority] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X";
        environment[SignInEnvironment.ClientId] = "client";
        environment[SignInEnvironment.Scopes] = "openid imagepipeline/api";
        environment[SignInEnvironment.LogoutUrl] = "https://x.auth.us-east-1.amazoncognito.com/logout?client_id=client&logout_uri=https%3A%2F%2Fd.net%2F";
        environment[SignInEnvironment.CliRedirectUri] = "http://localhost:53682/callback";
        Assert.Equal(["openid", "imagepipeline/api"], Read(environment).SignIn!.Scopes);
        environment.Remove(missing);

        var error = Assert.Throws<FunctionConfigurationException>(() => Read(environment));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownSignInMode_Refused()
    {
        var environment = Complete("api");
        environment[SignInEnvironment.Mode] = "open";

        Assert.Contains(SignInEnvironment.Mode, Assert.Throws<FunctionConfigurationException>(() => Read(environment)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ApiWithoutAnyCursorKey_NamesTheParameterVariable()
    {
        var environment = Complete("api");
        environment.Remove(PipelineEnvironment.CursorKey);

        Assert.Contains(SignInEnvironment.CursorKeyParameter, Assert.Throws<FunctionConfigurationException>(() => Read(environment)).Message, StringComparison.Ordinal);

        environment[SignInEnvironment.CursorKeyParameter] = "/aws/reference/secretsmanager/key";
        var settings = Read(environment);
        Assert.Null(settings.CursorKey);
        Assert.Equal("/aws/reference/secretsmanager/key", settings.CursorKeyParameter);
    }
}
