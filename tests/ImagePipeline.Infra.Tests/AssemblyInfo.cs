using ImagePipeline.Infra.Tests;

// jsii drives one node process per test process through a single channel, which is not safe under concurrent use.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: AssemblyFixture(typeof(SynthesizedStacks))]
