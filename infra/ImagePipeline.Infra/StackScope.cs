using Amazon.CDK;

namespace ImagePipeline.Infra;

/// <summary>
/// What every part of the stack is built with. The parts (<see cref="PipelineStorage"/>, <see cref="PipelineFanOut"/>,
/// <see cref="PipelineFunctions"/>, <see cref="PipelineApi"/>, <see cref="WebDistribution"/>, <see cref="PipelineAlarms"/>)
/// are plain classes that add their resources directly to the stack, not nested constructs: a construct in between would
/// change every logical id, and CloudFormation would replace the buckets, the table and the key of a deployed stack.
/// </summary>
/// <param name="Stack">The stack every resource is added to.</param>
/// <param name="Settings">The validated context.</param>
/// <param name="Nag">cdk-nag suppressions, written into the template at the end.</param>
internal sealed record StackScope(Stack Stack, StackSettings Settings, NagSuppressions Nag)
{
    /// <summary>What happens to stateful resources when the stack is deleted.</summary>
    public RemovalPolicy Removal => Settings.Retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    public bool IsAws => Settings.Target == DeploymentTarget.Aws;
}
