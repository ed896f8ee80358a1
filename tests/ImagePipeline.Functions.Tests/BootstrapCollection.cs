using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

// Each package has its own collection, so a run publishes only the packages whose tests it selects. The collections do
// not run in parallel with anything: a publish and the child processes get both cores of a CI machine, one at a time.

/// <summary>The default package's bootstrap (Native AOT, x86_64): one publish and one set of emulators for all its tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BootstrapCollection : ICollectionFixture<AotPackage>, ICollectionFixture<AwsEmulators>
{
    public const string Name = "bootstrap";
}

/// <summary>The ReadyToRun x86_64 package (Category=Slow: one more publish).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadyToRunCollection : ICollectionFixture<ReadyToRunPackage>, ICollectionFixture<AwsEmulators>
{
    public const string Name = "readytorun";
}

/// <summary>The arm64 package (Category=Slow: one more publish, and the bootstrap under qemu-user on x64).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Arm64Collection : ICollectionFixture<Arm64Package>, ICollectionFixture<AwsEmulators>
{
    public const string Name = "arm64";
}
