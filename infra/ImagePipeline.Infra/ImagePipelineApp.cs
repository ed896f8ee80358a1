using Amazon.CDK;

namespace ImagePipeline.Infra;

/// <summary>Builds the app's one stack from the app's context; shared by Program and the infra tests.</summary>
public static class ImagePipelineApp
{
    /// <exception cref="ArgumentException">A context value is invalid.</exception>
    /// <exception cref="InvalidOperationException">The function package is unusable.</exception>
    public static ImagePipelineStack AddStack(App app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = StackSettings.FromContext(key => app.Node.TryGetContext(key));
        return new ImagePipelineStack(app, settings.StackName, new ImagePipelineStackProps
        {
            Settings = settings,
            FunctionPackageFolder = FunctionPackage.Resolve(settings.FunctionPackage, settings.Architecture, settings.FunctionBuild),
            Description = "ImagePipeline: S3 uploads fan out to resize and thumbnail functions; catalog in DynamoDB; REST API.",
        });
    }
}
