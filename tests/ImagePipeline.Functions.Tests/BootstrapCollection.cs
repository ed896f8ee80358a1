using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// Tests that run the published bootstrap: one publish and one set of emulators for all of them, and one test at a
/// time, so child processes never compete for the two cores of a CI machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BootstrapCollection : ICollectionFixture<PublishedPackage>, ICollectionFixture<AwsEmulators>
{
    public const string Name = "bootstrap";
}
