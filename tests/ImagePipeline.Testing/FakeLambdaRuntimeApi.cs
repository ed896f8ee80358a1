using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace ImagePipeline.Testing;

/// <summary>What a function did with one event: its response, or its error.</summary>
/// <param name="RequestId">The id the event was handed out with.</param>
/// <param name="IsError">True when the function posted to <c>/invocation/{id}/error</c>.</param>
/// <param name="Body">The response (or error) body.</param>
/// <param name="ErrorType">The <c>Lambda-Runtime-Function-Error-Type</c> header of an error.</param>
/// <param name="HandedOut">When the function took the event (Stopwatch timestamp).</param>
/// <param name="Answered">When the answer arrived (Stopwatch timestamp).</param>
public sealed record FakeInvocationResult(string RequestId, bool IsError, string Body, string? ErrorType, long HandedOut, long Answered)
{
    /// <summary>From the event being taken to its answer.</summary>
    public TimeSpan Duration => Stopwatch.GetElapsedTime(HandedOut, Answered);
}

/// <summary>An init error a function reported.</summary>
public sealed record FakeInitError(string Body, string? ErrorType);

/// <summary>
/// The Lambda Runtime API (2018-06-01) on a free loopback port, in process, so a real <c>bootstrap</c> can run as a
/// child process the way Lambda runs it: set <c>AWS_LAMBDA_RUNTIME_API</c> to <see cref="HostAndPort"/>, then
/// <see cref="InvokeAsync"/> events one at a time. It serves <c>GET /runtime/invocation/next</c> (blocking until an
/// event is queued, with the documented headers), <c>POST /runtime/invocation/{id}/response|error</c> and
/// <c>POST /runtime/init/error</c>; anything else is a 404, recorded in <see cref="Unexpected"/>.
/// </summary>
public sealed class FakeLambdaRuntimeApi : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime/";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<PendingEvent> _events = Channel.CreateUnbounded<PendingEvent>();
    private readonly ConcurrentDictionary<string, PendingEvent> _handedOut = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<FakeInitError> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<long> _firstNext = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private int _sequence;
    private int _disposed;

    public FakeLambdaRuntimeApi()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        HostAndPort = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string HostAndPort { get; }

    /// <summary>
    /// The whole environment of a function process under this Runtime API, as Lambda gives it: what the function is
    /// configured with, <c>AWS_LAMBDA_RUNTIME_API</c>, and PATH, HOME and TMPDIR. Nothing else of this machine's may
    /// leak in: an AWS_PROFILE, an IMAGEPIPELINE_LIBVIPS, or an AWS_CA_BUNDLE (with one, each SDK client parses the
    /// whole PEM bundle before its first request, ~35 ms that Lambda never pays).
    /// </summary>
    public Dictionary<string, string> FunctionEnvironment(IEnumerable<KeyValuePair<string, string>> configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "PATH", "HOME", "TMPDIR" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        environment["AWS_LAMBDA_RUNTIME_API"] = HostAndPort;
        foreach (var (name, value) in configured)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Requests that matched no endpoint (method and path), for assertions.</summary>
    public ConcurrentQueue<string> Unexpected { get; } = new();

    /// <summary>When set, invocation error reports are recorded but answered 400, as a Runtime API refusing them would.</summary>
    public bool RefuseErrorReports { get; set; }

    /// <summary>
    /// When set, invocation responses are refused with a 413, as the Runtime API refuses one over the 6 MB limit: the
    /// event stays open (its request id is recorded in <see cref="RefusedResponses"/>), so the function can still
    /// report an error for it.
    /// </summary>
    public bool RefuseResponses { get; set; }

    /// <summary>The request ids whose response was refused because of <see cref="RefuseResponses"/>.</summary>
    public ConcurrentQueue<string> RefusedResponses { get; } = new();

    /// <summary>Completes with the Stopwatch timestamp of the first <c>GET /invocation/next</c>: the end of init.</summary>
    public Task<long> FirstNextRequest => _firstNext.Task;

    /// <summary>Completes when the function reports an init error.</summary>
    public Task<FakeInitError> InitError => _initError.Task;

    /// <summary>
    /// Queues an event and waits for the function's answer. <paramref name="timeLimit"/> sets the
    /// <c>Lambda-Runtime-Deadline-Ms</c> header (from when the event is handed out); waiting gives up after
    /// <paramref name="wait"/>.
    /// </summary>
    public async Task<FakeInvocationResult> InvokeAsync(string payload, TimeSpan timeLimit, TimeSpan wait, string? traceId = null)
    {
        var requestId = $"{Guid.NewGuid():D}-{Interlocked.Increment(ref _sequence)}";
        var pending = new PendingEvent(requestId, Encoding.UTF8.GetBytes(payload), timeLimit, traceId ?? $"Root=1-{Guid.NewGuid():N}"[..35] + ";Sampled=0");
        await _events.Writer.WriteAsync(pending);
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await pending.Result.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The function did not answer event {requestId} within {wait.TotalSeconds:0} s.");
        }
    }

    /// <summary>Stops serving; a function waiting for its next event sees the connection close. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        _events.Writer.TryComplete();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            // Answers go out as soon as they are written, as Lambda's own Runtime API sends them.
            client.NoDelay = true;
            _ = Task.Run(() => ServeConnectionAsync(client));
        }
    }

    // HTTP/1.1 with keep-alive, as HttpClient speaks it: one request at a time per connection.
    private async Task ServeConnectionAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new HttpReader(stream);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await reader.ReadRequestAsync(_stop.Token);
                if (request is null)
                {
                    return;
                }

                await HandleAsync(request, stream);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or ChannelClosedException)
        {
            // The function exited or the server stopped.
        }
    }

    private async Task HandleAsync(HttpRequestData request, NetworkStream stream)
    {
        var path = request.Path;
        if (request.Method == "GET" && path == Prefix + "invocation/next")
        {
            _firstNext.TrySetResult(Stopwatch.GetTimestamp());
            var pending = await _events.Reader.ReadAsync(_stop.Token);
            pending.HandedOut = Stopwatch.GetTimestamp();
            _handedOut[pending.RequestId] = pending;
            var deadline = DateTimeOffset.UtcNow.Add(pending.TimeLimit).ToUnixTimeMilliseconds();
            await WriteResponseAsync(stream, 200, pending.Payload, [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", pending.RequestId),
                ("Lambda-Runtime-Deadline-Ms", deadline.ToString(CultureInfo.InvariantCulture)),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:imagepipeline-test"),
                ("Lambda-Runtime-Trace-Id", pending.TraceId),
            ]);
            return;
        }

        if (request.Method == "POST" && path == Prefix + "init/error")
        {
            _initError.TrySetResult(new FakeInitError(Encoding.UTF8.GetString(request.Body), request.Header("Lambda-Runtime-Function-Error-Type")));
            await WriteResponseAsync(stream, 202, """{"status":"OK"}"""u8.ToArray(), [("Content-Type", "application/json")]);
            return;
        }

        if (request.Method == "POST" && path.StartsWith(Prefix + "invocation/", StringComparison.Ordinal))
        {
            var rest = path[(Prefix.Length + "invocation/".Length)..].Split('/');
            var requestId = rest.Length == 2 ? Uri.UnescapeDataString(rest[0]) : "";
            if (rest.Length == 2 && rest[1] == "response" && RefuseResponses && _handedOut.ContainsKey(requestId))
            {
                RefusedResponses.Enqueue(requestId);
                await WriteResponseAsync(stream, 413, """{"errorMessage":"response too large","errorType":"RequestEntityTooLarge"}"""u8.ToArray(), [("Content-Type", "application/json")]);
                return;
            }

            if (rest.Length == 2 && rest[1] is "response" or "error" && _handedOut.TryRemove(requestId, out var pending))
            {
                pending.Result.TrySetResult(new FakeInvocationResult(
                    pending.RequestId, rest[1] == "error", Encoding.UTF8.GetString(request.Body),
                    request.Header("Lambda-Runtime-Function-Error-Type"), pending.HandedOut, Stopwatch.GetTimestamp()));
                if (rest[1] == "error" && RefuseErrorReports)
                {
                    await WriteResponseAsync(stream, 400, """{"errorMessage":"refused","errorType":"InvalidRequestContent"}"""u8.ToArray(), [("Content-Type", "application/json")]);
                    return;
                }

                await WriteResponseAsync(stream, 202, """{"status":"OK"}"""u8.ToArray(), [("Content-Type", "application/json")]);
                return;
            }
        }

        Unexpected.Enqueue($"{request.Method} {path}");
        await WriteResponseAsync(stream, 404, """{"errorMessage":"unknown endpoint"}"""u8.ToArray(), [("Content-Type", "application/json")]);
    }

    private static async Task WriteResponseAsync(NetworkStream stream, int status, byte[] body, IEnumerable<(string Name, string Value)> headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {(status switch { 200 => "OK", 202 => "Accepted", 400 => "Bad Request", 413 => "Payload Too Large", _ => "Not Found" })}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n");

        // One write: head and body as two small writes would leave the body to Nagle's algorithm, waiting for the
        // client's delayed ACK of the head (40 ms on Linux), which the benchmark would count as invocation time.
        var headBytes = Encoding.ASCII.GetBytes(head.ToString());
        var message = new byte[headBytes.Length + body.Length];
        headBytes.CopyTo(message, 0);
        body.CopyTo(message, headBytes.Length);
        await stream.WriteAsync(message);
        await stream.FlushAsync();
    }

    private sealed class PendingEvent(string requestId, byte[] payload, TimeSpan timeLimit, string traceId)
    {
        public string RequestId => requestId;

        public byte[] Payload => payload;

        public TimeSpan TimeLimit => timeLimit;

        public string TraceId => traceId;

        public long HandedOut { get; set; }

        public TaskCompletionSource<FakeInvocationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record HttpRequestData(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>A minimal HTTP/1.1 request reader: request line, headers, Content-Length or chunked body.</summary>
    private sealed class HttpReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start, _end;

        public async Task<HttpRequestData?> ReadRequestAsync(CancellationToken cancellationToken)
        {
            var requestLine = await ReadLineAsync(cancellationToken);
            if (requestLine is null)
            {
                return null;
            }

            var parts = requestLine.Split(' ');
            if (parts.Length < 2)
            {
                throw new IOException("Malformed request line: " + requestLine);
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
                }
            }

            byte[] body;
            if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                using var collected = new MemoryStream();
                while (true)
                {
                    var sizeLine = await ReadLineAsync(cancellationToken) ?? throw new IOException("Connection closed in a chunked body.");
                    var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (size == 0)
                    {
                        await ReadLineAsync(cancellationToken);
                        break;
                    }

                    collected.Write(await ReadExactlyAsync(size, cancellationToken));
                    await ReadLineAsync(cancellationToken);
                }

                body = collected.ToArray();
            }
            else
            {
                var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
                body = await ReadExactlyAsync(length, cancellationToken);
            }

            var target = parts[1];
            var query = target.IndexOf('?', StringComparison.Ordinal);
            return new HttpRequestData(parts[0], query < 0 ? target : target[..query], headers, body);
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new IOException("Request head too large.");
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read > 0;
        }

        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                    _start = newline + 1;
                    return line;
                }

                if (!await FillAsync(cancellationToken))
                {
                    return null;
                }
            }
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var result = new byte[count];
            var copied = 0;
            while (copied < count)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    throw new IOException("Connection closed in a body.");
                }

                var take = Math.Min(count - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, copied, take);
                _start += take;
                copied += take;
            }

            return result;
        }
    }
}
