using ImagePipeline.Functions.Runtime;

namespace ImagePipeline.Functions.Handlers;

/// <summary>One function: an event's JSON in, the response's JSON out. Throwing fails the invocation.</summary>
internal interface IFunctionHandler
{
    Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context);
}
