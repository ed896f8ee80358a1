using System.Text;
using System.Text.Json;
using ImagePipeline.Functions.Handlers;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>The runtime loop and the Runtime API client, in process, against the fake Runtime API.</summary>
public sealed class LambdaRuntimeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>A handler that echoes, fails on "fail", and records what it saw.</summary>
    private sealed class RecordingHandler : IFunctionHandler
    {
        public List<(string RequestId, string? TraceId, string? TraceVariable, TimeSpan Remaining, bool Cancelled)> Seen { get; } = [];

        public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context)
        {
            var text = Encoding.UTF8.GetString(payload.Span);
            if (text == "\"wait\"")
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            Seen.Add((context.RequestId, context.TraceId, Environment.GetEnvironmentVariable(LambdaRuntime.TraceIdVariable), context.Remaining, context.CancellationToken.IsCancellationRequested));
            return text == "\"fail\"" ? throw new InvalidOperationException("asked to fail") : Encoding.UTF8.GetBytes($"{{\"echo\":{text}}}");
        }
    }

    private static async Task<(FakeLambdaRuntimeApi Api, RecordingHandler Handler, StringWriter Log, CancellationTokenSource Stop, Task Loop)> StartAsync()
    {
        var api = new FakeLambdaRuntimeApi();
        var handler = new RecordingHandler();
        var log = new StringWriter();
        var client = new RuntimeApiClient(api.HostAndPort);
        var stop = new CancellationTokenSource();
        var runtime = new LambdaRuntime(client, handler, new JsonLogger(log, TimeProvider.System, "test"), TimeProvider.System, TimeSpan.FromMilliseconds(200));
        var loop = Task.Run(() => runtime.RunAsync(stop.Token));
        await api.FirstNextRequest.WaitAsync(Wait);
        return (api, handler, log, stop, loop);
    }

    [Fact]
    public async Task Run_Events_ResponsesPostedAndTraceIdSetPerInvocation()
    {
        var (api, handler, _, stop, _) = await StartAsync();
        await using var _ = api;

        var first = await api.InvokeAsync("1", TimeSpan.FromSeconds(30), Wait, traceId: "Root=1-aaaa;Sampled=1");
        var second = await api.InvokeAsync("2", TimeSpan.FromSeconds(30), Wait, traceId: "Root=1-bbbb;Sampled=1");

        Assert.Equal((false, """{"echo":1}"""), (first.IsError, first.Body));
        Assert.Equal((false, """{"echo":2}"""), (second.IsError, second.Body));
        Assert.Equal([first.RequestId, second.RequestId], handler.Seen.Select(s => s.RequestId));
        Assert.Equal(["Root=1-aaaa;Sampled=1", "Root=1-bbbb;Sampled=1"], handler.Seen.Select(s => s.TraceVariable));
        Assert.Equal(["Root=1-aaaa;Sampled=1", "Root=1-bbbb;Sampled=1"], handler.Seen.Select(s => s.TraceId));
        Assert.All(handler.Seen, s => Assert.InRange(s.Remaining, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31)));
        Assert.Empty(api.Unexpected);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Run_HandlerThrows_ErrorPostedWithTypeHeaderAndLoopContinues()
    {
        var (api, _, log, stop, _) = await StartAsync();
        await using var _ = api;

        var failed = await api.InvokeAsync("\"fail\"", TimeSpan.FromSeconds(30), Wait);
        var next = await api.InvokeAsync("3", TimeSpan.FromSeconds(30), Wait);

        Assert.True(failed.IsError);
        Assert.Equal(RuntimeApiClient.Unhandled, failed.ErrorType);
        using var error = JsonDocument.Parse(failed.Body);
        Assert.Equal("asked to fail", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("stackTrace").ValueKind);
        Assert.False(next.IsError);
        Assert.Contains(failed.RequestId, log.ToString(), StringComparison.Ordinal);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Run_ErrorReportRefused_LoopContinues()
    {
        var (api, _, _, stop, _) = await StartAsync();
        await using var _ = api;
        api.RefuseErrorReports = true;

        var failed = await api.InvokeAsync("\"fail\"", TimeSpan.FromSeconds(30), Wait);
        var next = await api.InvokeAsync("3", TimeSpan.FromSeconds(30), Wait);

        Assert.True(failed.IsError);
        Assert.False(next.IsError);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Run_HandlerRunsIntoTheDeadline_TokenCancelledBeforeItAndAnswerStillPosted()
    {
        var (api, handler, _, stop, _) = await StartAsync();
        await using var _ = api;

        var result = await api.InvokeAsync("\"wait\"", TimeSpan.FromSeconds(1), Wait);

        Assert.False(result.IsError);
        Assert.True(handler.Seen.Single().Cancelled);
        Assert.True(result.Duration < TimeSpan.FromSeconds(1), $"answered after {result.Duration.TotalMilliseconds:0} ms, past the 1 s deadline");
        await stop.CancelAsync();
    }

    [Fact]
    public async Task ReportInitError_PostsBodyAndErrorType()
    {
        await using var api = new FakeLambdaRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);

        await client.ReportInitErrorAsync(RuntimeApiClient.ConfigInvalid, new InvalidOperationException("IMAGEPIPELINE_TABLE is not set"), TestContext.Current.CancellationToken);

        var error = await api.InitError.WaitAsync(Wait, TestContext.Current.CancellationToken);
        Assert.Equal(RuntimeApiClient.ConfigInvalid, error.ErrorType);
        Assert.Contains("IMAGEPIPELINE_TABLE is not set", error.Body, StringComparison.Ordinal);
    }
}
