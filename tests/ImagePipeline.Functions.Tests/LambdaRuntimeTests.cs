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

    /// <summary>
    /// A runtime loop on a fake Runtime API. Disposing cancels the loop, stops the API (so a loop waiting for its next
    /// event fails) and waits for the loop to end, so a failing test leaves nothing running.
    /// </summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly RuntimeApiClient _client;
        private Task _loop = Task.CompletedTask;

        private Harness(TimeSpan deadlineMargin)
        {
            _client = new RuntimeApiClient(Api.HostAndPort);
            Runtime = new LambdaRuntime(_client, Handler, new JsonLogger(Log, TimeProvider.System, "test"), TimeProvider.System, deadlineMargin);
        }

        public FakeLambdaRuntimeApi Api { get; } = new();

        public RecordingHandler Handler { get; } = new();

        public StringWriter Log { get; } = new();

        private LambdaRuntime Runtime { get; }

        public static async Task<Harness> StartAsync(TimeSpan? deadlineMargin = null)
        {
            var harness = new Harness(deadlineMargin ?? TimeSpan.FromMilliseconds(200));
            harness._loop = Task.Run(() => harness.Runtime.RunAsync(harness._stop.Token));
            try
            {
                await harness.Api.FirstNextRequest.WaitAsync(Wait);
            }
            catch
            {
                await harness.DisposeAsync();
                throw;
            }

            return harness;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Api.DisposeAsync();
            try
            {
                await _loop.WaitAsync(Wait);
            }
            catch (Exception e) when (e is not TimeoutException)
            {
                // The loop ends by the cancellation or by the Runtime API going away: both expected here.
            }
            finally
            {
                _client.Dispose();
                _stop.Dispose();
            }
        }
    }

    [Fact]
    public async Task Run_Events_ResponsesPostedAndTraceIdSetPerInvocation()
    {
        await using var harness = await Harness.StartAsync();
        var (api, handler) = (harness.Api, harness.Handler);

        var first = await api.InvokeAsync("1", TimeSpan.FromSeconds(30), Wait, traceId: "Root=1-aaaa;Sampled=1");
        var second = await api.InvokeAsync("2", TimeSpan.FromSeconds(30), Wait, traceId: "Root=1-bbbb;Sampled=1");

        Assert.Equal((false, """{"echo":1}"""), (first.IsError, first.Body));
        Assert.Equal((false, """{"echo":2}"""), (second.IsError, second.Body));
        Assert.Equal([first.RequestId, second.RequestId], handler.Seen.Select(s => s.RequestId));
        Assert.Equal(["Root=1-aaaa;Sampled=1", "Root=1-bbbb;Sampled=1"], handler.Seen.Select(s => s.TraceVariable));
        Assert.Equal(["Root=1-aaaa;Sampled=1", "Root=1-bbbb;Sampled=1"], handler.Seen.Select(s => s.TraceId));
        Assert.All(handler.Seen, s => Assert.InRange(s.Remaining, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31)));
        Assert.Empty(api.Unexpected);
    }

    [Fact]
    public async Task Run_HandlerThrows_ErrorPostedWithTypeHeaderAndLoopContinues()
    {
        await using var harness = await Harness.StartAsync();
        var api = harness.Api;

        var failed = await api.InvokeAsync("\"fail\"", TimeSpan.FromSeconds(30), Wait);
        var next = await api.InvokeAsync("3", TimeSpan.FromSeconds(30), Wait);

        Assert.True(failed.IsError);
        Assert.Equal(RuntimeApiClient.Unhandled, failed.ErrorType);
        using var error = JsonDocument.Parse(failed.Body);
        Assert.Equal("asked to fail", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("stackTrace").ValueKind);
        Assert.False(next.IsError);
        Assert.Contains(failed.RequestId, harness.Log.ToString(), StringComparison.Ordinal);
        Assert.Empty(api.Unexpected);
    }

    [Fact]
    public async Task Run_ErrorReportRefused_LoopContinues()
    {
        await using var harness = await Harness.StartAsync();
        var api = harness.Api;
        api.RefuseErrorReports = true;

        var failed = await api.InvokeAsync("\"fail\"", TimeSpan.FromSeconds(30), Wait);
        var next = await api.InvokeAsync("3", TimeSpan.FromSeconds(30), Wait);

        Assert.True(failed.IsError);
        Assert.False(next.IsError);
        Assert.Empty(api.Unexpected);
    }

    [Fact]
    public async Task Run_ResponseRefused_ErrorReportedForThatInvocationAndLoopContinues()
    {
        await using var harness = await Harness.StartAsync();
        var api = harness.Api;
        api.RefuseResponses = true;

        var refused = await api.InvokeAsync("1", TimeSpan.FromSeconds(30), Wait);
        api.RefuseResponses = false;
        var next = await api.InvokeAsync("2", TimeSpan.FromSeconds(30), Wait);

        Assert.Equal([refused.RequestId], api.RefusedResponses);
        Assert.True(refused.IsError, refused.Body);
        using (var error = JsonDocument.Parse(refused.Body))
        {
            Assert.Equal("RuntimeApiException", error.RootElement.GetProperty("errorType").GetString());
            Assert.Contains("413", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal((false, """{"echo":2}"""), (next.IsError, next.Body));
        Assert.Contains("refused the response", harness.Log.ToString(), StringComparison.Ordinal);
        Assert.Empty(api.Unexpected);
    }

    [Fact]
    public async Task Run_HandlerRunsIntoTheDeadline_TokenCancelledBeforeItAndAnswerStillPosted()
    {
        // 8 s with a 4 s margin: the token fires after 4 s, leaving 4 s to answer even on a machine loaded by two test runs.
        await using var harness = await Harness.StartAsync(TimeSpan.FromSeconds(4));

        var result = await harness.Api.InvokeAsync("\"wait\"", TimeSpan.FromSeconds(8), Wait);

        Assert.False(result.IsError, result.Body);
        Assert.True(harness.Handler.Seen.Single().Cancelled);
        Assert.True(result.Duration < TimeSpan.FromSeconds(8), $"answered after {result.Duration.TotalMilliseconds:0} ms, past the 8 s deadline");
        Assert.Empty(harness.Api.Unexpected);
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
