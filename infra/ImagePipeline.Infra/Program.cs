using Amazon.CDK;
using ImagePipeline.Infra;

// The CDK app (cdk.json: `dotnet run --project infra/ImagePipeline.Infra`). Context flags are described in
// infra/README.md; an invalid one fails here with the reason. Without flags it synthesizes the AWS stack with Cognito
// sign-in, so `npx cdk bootstrap` and `npx cdk deploy` work as they are.
try
{
    var app = new App();
    _ = ImagePipelineApp.AddStack(app);
    _ = app.Synth();
    return 0;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
