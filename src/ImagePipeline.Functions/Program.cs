using ImagePipeline.Core.Services;
using ImagePipeline.Functions.Handlers;
using ImagePipeline.Functions.Hosting;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;
using ImagePipeline.Hosting;

// The bootstrap of the provided.al2023 custom runtime: one executable for the four functions, chosen by _HANDLER.
// First, before threads allocate: one malloc arena per core instead of eight (see ProcessMemory).
ProcessMemory.CapMallocArenas();

var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
if (string.IsNullOrWhiteSpace(runtimeApi))
{
    await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set: this is the Lambda bootstrap and runs only under a Lambda Runtime API.");
    return 2;
}

var clock = TimeProvider.System;
var function = Environment.GetEnvironmentVariable(PipelineEnvironment.Handler) ?? "unknown";
var log = new JsonLogger(Console.Out, clock, function);
var metrics = new MetricsWriter(Console.Out, clock, function);
using var client = new RuntimeApiClient(runtimeApi);

IFunctionHandler handler;
try
{
    var settings = FunctionSettings.Read(Environment.GetEnvironmentVariable);
    handler = await FunctionComposition.CreateAsync(settings, log, metrics, clock, ConnectionPriming.DefaultBudget);
}
catch (Exception e)
{
    // Lambda shows this error on the invocation that triggered the cold start, then discards the environment.
    log.Error(e, "Init failed: {ErrorMessage}", e.Message);
    var errorType = e is FunctionConfigurationException ? RuntimeApiClient.ConfigInvalid : "Runtime.UnknownReason";
    try
    {
        await client.ReportInitErrorAsync(errorType, e, CancellationToken.None);
    }
    catch (Exception report)
    {
        log.Error(report, "Could not report the init error to the Runtime API");
    }

    return 1;
}

try
{
    await new LambdaRuntime(client, handler, log, clock, DeadlineTimer.DefaultMargin).RunAsync(CancellationToken.None);
    return 0;
}
catch (Exception e)
{
    // The Runtime API went away (the environment is being shut down, or a test's fake server stopped).
    log.Error(e, "The invocation loop ended: {ErrorMessage}", e.Message);
    return 1;
}
