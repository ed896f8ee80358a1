using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>The tests that talk to the emulators: one set of emulator processes for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<AwsEmulators>
{
    public const string Name = "AWS emulators";
}
