using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ImagePipeline.Emulators;

/// <summary>A message as the fake holds it.</summary>
/// <param name="QueueName">The queue it was sent to.</param>
/// <param name="MessageId">Its id.</param>
/// <param name="Body">The body, exactly as sent.</param>
/// <param name="SentAt">When it was sent.</param>
public sealed record SqsFakeMessage(string QueueName, string MessageId, string Body, DateTimeOffset SentAt);

/// <summary>
/// A hand-written SQS for tests (no SQS emulator comes from npm, and LocalStack needs Docker): an <see cref="HttpListener"/>
/// on a free loopback port speaking the AWS JSON 1.0 protocol that AWS SDK for .NET v4 uses for SQS
/// (<c>POST /</c>, <c>X-Amz-Target: AmazonSQS.&lt;Operation&gt;</c>, <c>application/x-amz-json-1.0</c>). It serves
/// CreateQueue, GetQueueUrl, SendMessage, ReceiveMessage (visibility timeout, long polling, ApproximateReceiveCount),
/// DeleteMessage, GetQueueAttributes (the approximate counts) and PurgeQueue; answers the MD5 digests the SDK checks;
/// and reports errors as SQS does (<c>__type</c> plus the <c>x-amzn-query-error</c> header). Signatures are not
/// checked. Message attributes, FIFO queues and batches are refused as unsupported rather than half-implemented.
/// </summary>
public sealed class SqsFake : IAsyncDisposable
{
    /// <summary>The account id in queue URLs.</summary>
    public const string AccountId = "000000000000";

    private static readonly TimeSpan DefaultVisibilityTimeout = TimeSpan.FromSeconds(30);

    private LoopbackHttpServer? _server;
    private readonly ConcurrentDictionary<string, FakeQueue> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SqsFakeMessage> _sent = new();
    private readonly ConcurrentQueue<string> _operations = new();

    private SqsFake()
    {
    }

    /// <summary>Where clients send requests: <c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri Endpoint => _server!.Endpoint;

    /// <summary>Every message ever sent, oldest first, whatever became of it since.</summary>
    public IReadOnlyList<SqsFakeMessage> Sent => [.. _sent];

    /// <summary>The operations served, in order (<c>SendMessage</c>…), for tests of what a client called.</summary>
    public IReadOnlyList<string> Operations => [.. _operations];

    /// <summary>Starts a fake on a free loopback port.</summary>
    public static SqsFake Start()
    {
        var fake = new SqsFake();
        fake._server = LoopbackHttpServer.Start(fake.HandleAsync);
        return fake;
    }

    /// <summary>The URL of queue <paramref name="name"/> on this fake (whether or not it exists).</summary>
    public Uri QueueUrl(string name) => new(Endpoint, $"{AccountId}/{name}");

    /// <summary>The ARN of queue <paramref name="name"/>, as an event source mapping names it.</summary>
    public static string QueueArn(string name, string region) => $"arn:aws:sqs:{region}:{AccountId}:{name}";

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var queue in _queues.Values)
        {
            queue.Dispose();
        }
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var response = context.Response;
        try
        {
            var (status, body, queryError) = await ServeAsync(context.Request, stopping).ConfigureAwait(false);
            response.StatusCode = (int)status;
            response.ContentType = "application/x-amz-json-1.0";
            response.AddHeader("x-amzn-RequestId", Guid.NewGuid().ToString());
            if (queryError is not null)
            {
                response.AddHeader("x-amzn-query-error", queryError);
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes, stopping).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The client went away or the fake is stopping.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception)
            {
                // Already closed.
            }
        }
    }

    private async Task<(HttpStatusCode Status, string Body, string? QueryError)> ServeAsync(HttpListenerRequest request, CancellationToken ct)
    {
        var target = request.Headers["X-Amz-Target"];
        if (request.HttpMethod != "POST" || target is null || !target.StartsWith("AmazonSQS.", StringComparison.Ordinal))
        {
            return Error("InvalidAction", "AWS.SimpleQueueService.InvalidAction", "Only the AWS JSON 1.0 protocol (POST, X-Amz-Target: AmazonSQS.*) is served.");
        }

        var operation = target["AmazonSQS.".Length..];
        _operations.Enqueue(operation);
        JsonElement input;
        try
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            input = JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Error("InvalidParameterValue", "InvalidParameterValue", "The request body is not JSON: " + e.Message);
        }

        return operation switch
        {
            "CreateQueue" => CreateQueue(input),
            "GetQueueUrl" => WithQueue(input, "QueueName", queue => Ok(w => w.WriteString("QueueUrl", QueueUrl(queue.Name).ToString()))),
            "SendMessage" => WithQueue(input, "QueueUrl", queue => Send(queue, input)),
            "ReceiveMessage" => await WithQueueAsync(input, queue => ReceiveAsync(queue, input, ct)).ConfigureAwait(false),
            "DeleteMessage" => WithQueue(input, "QueueUrl", queue => Delete(queue, input)),
            "GetQueueAttributes" => WithQueue(input, "QueueUrl", Attributes),
            "PurgeQueue" => WithQueue(input, "QueueUrl", queue =>
            {
                queue.Purge();
                return Ok(_ => { });
            }),
            _ => Error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", $"The SQS fake does not serve {operation}."),
        };
    }

    private (HttpStatusCode, string, string?) CreateQueue(JsonElement input)
    {
        var name = String(input, "QueueName");
        if (string.IsNullOrEmpty(name) || name.Length > 80 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return Error("InvalidParameterValue", "InvalidParameterValue", $"'{name}' is not a valid queue name.");
        }

        var visibility = DefaultVisibilityTimeout;
        if (input.TryGetProperty("Attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object)
        {
            foreach (var attribute in attributes.EnumerateObject())
            {
                if (attribute.Name == "VisibilityTimeout" && int.TryParse(attribute.Value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    visibility = TimeSpan.FromSeconds(seconds);
                }
                else if (attribute.Name is "FifoQueue" or "RedrivePolicy")
                {
                    return Error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", $"The SQS fake does not support {attribute.Name}.");
                }
            }
        }

        var queue = _queues.GetOrAdd(name, n => new FakeQueue(n, visibility));
        return Ok(w => w.WriteString("QueueUrl", QueueUrl(queue.Name).ToString()));
    }

    private (HttpStatusCode, string, string?) Send(FakeQueue queue, JsonElement input)
    {
        if (input.TryGetProperty("MessageAttributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object && attributes.EnumerateObject().Any())
        {
            return Error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "The SQS fake does not support message attributes.");
        }

        if (input.TryGetProperty("DelaySeconds", out var delay) && delay.ValueKind == JsonValueKind.Number && delay.GetInt32() != 0)
        {
            return Error("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "The SQS fake does not support DelaySeconds.");
        }

        var body = String(input, "MessageBody");
        if (string.IsNullOrEmpty(body))
        {
            return Error("MissingParameter", "MissingParameter", "The request must contain the parameter MessageBody.");
        }

        if (Encoding.UTF8.GetByteCount(body) > 256 * 1024)
        {
            return Error("InvalidParameterValue", "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.");
        }

        var message = new SqsFakeMessage(queue.Name, Guid.NewGuid().ToString(), body, DateTimeOffset.UtcNow);
        _sent.Enqueue(message);
        queue.Add(message);
        return Ok(w =>
        {
            w.WriteString("MessageId", message.MessageId);
            w.WriteString("MD5OfMessageBody", Md5(body));
        });
    }

    private static async Task<(HttpStatusCode, string, string?)> ReceiveAsync(FakeQueue queue, JsonElement input, CancellationToken ct)
    {
        var max = input.TryGetProperty("MaxNumberOfMessages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 1;
        if (max is < 1 or > 10)
        {
            return Error("InvalidParameterValue", "InvalidParameterValue", "MaxNumberOfMessages must be between 1 and 10.");
        }

        var wait = input.TryGetProperty("WaitTimeSeconds", out var w) && w.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(Math.Clamp(w.GetInt32(), 0, 20)) : TimeSpan.Zero;
        TimeSpan? visibility = input.TryGetProperty("VisibilityTimeout", out var v) && v.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(v.GetInt32()) : null;
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in new[] { "AttributeNames", "MessageSystemAttributeNames" })
        {
            if (input.TryGetProperty(name, out var names) && names.ValueKind == JsonValueKind.Array)
            {
                wanted.UnionWith(names.EnumerateArray().Select(n => n.GetString() ?? ""));
            }
        }

        var received = await queue.ReceiveAsync(max, wait, visibility, ct).ConfigureAwait(false);
        return Ok(writer =>
        {
            writer.WriteStartArray("Messages");
            foreach (var (message, receipt, count, firstReceived) in received)
            {
                writer.WriteStartObject();
                writer.WriteString("MessageId", message.MessageId);
                writer.WriteString("ReceiptHandle", receipt);
                writer.WriteString("MD5OfBody", Md5(message.Body));
                writer.WriteString("Body", message.Body);
                var system = new Dictionary<string, string>
                {
                    ["ApproximateReceiveCount"] = count.ToString(CultureInfo.InvariantCulture),
                    ["SentTimestamp"] = message.SentAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                    ["ApproximateFirstReceiveTimestamp"] = firstReceived.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                    ["SenderId"] = "AIDAFAKESQSSENDER",
                };
                var selected = system.Where(a => wanted.Contains("All") || wanted.Contains(a.Key)).ToList();
                if (selected.Count > 0)
                {
                    writer.WriteStartObject("Attributes");
                    foreach (var (name, value) in selected)
                    {
                        writer.WriteString(name, value);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });
    }

    private static (HttpStatusCode, string, string?) Delete(FakeQueue queue, JsonElement input) =>
        queue.Delete(String(input, "ReceiptHandle") ?? "")
            ? Ok(_ => { })
            : Error("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle is invalid.");

    private static (HttpStatusCode, string, string?) Attributes(FakeQueue queue)
    {
        var (visible, inFlight) = queue.Counts();
        return Ok(w =>
        {
            w.WriteStartObject("Attributes");
            w.WriteString("ApproximateNumberOfMessages", visible.ToString(CultureInfo.InvariantCulture));
            w.WriteString("ApproximateNumberOfMessagesNotVisible", inFlight.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        });
    }

    private (HttpStatusCode, string, string?) WithQueue(JsonElement input, string by, Func<FakeQueue, (HttpStatusCode, string, string?)> serve) =>
        FindQueue(input, by) is { } queue ? serve(queue) : NoSuchQueue();

    private async Task<(HttpStatusCode, string, string?)> WithQueueAsync(JsonElement input, Func<FakeQueue, Task<(HttpStatusCode, string, string?)>> serve) =>
        FindQueue(input, "QueueUrl") is { } queue ? await serve(queue).ConfigureAwait(false) : NoSuchQueue();

    private FakeQueue? FindQueue(JsonElement input, string by)
    {
        var value = String(input, by);
        if (value is null)
        {
            return null;
        }

        // A queue URL names the queue in its last segment; the host may be any name of this endpoint.
        var name = by == "QueueUrl" ? value.TrimEnd('/').Split('/')[^1] : value;
        return _queues.TryGetValue(name, out var queue) ? queue : null;
    }

    private static (HttpStatusCode, string, string?) NoSuchQueue() =>
        Error("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");

    private static string? String(JsonElement input, string name) =>
        input.ValueKind == JsonValueKind.Object && input.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static (HttpStatusCode, string, string?) Ok(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        return (HttpStatusCode.OK, Encoding.UTF8.GetString(buffer.ToArray()), null);
    }

    private static (HttpStatusCode, string, string?) Error(string type, string queryCode, string message)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("__type", "com.amazonaws.sqs#" + type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        return (HttpStatusCode.BadRequest, Encoding.UTF8.GetString(buffer.ToArray()), queryCode + ";Sender");
    }

    private static string Md5(string text) =>
#pragma warning disable CA5351 // SQS's own digest of the body, not a security use.
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351

    /// <summary>One queue: visible messages in order, in-flight ones until deleted or their visibility timeout ends.</summary>
    private sealed class FakeQueue(string name, TimeSpan visibilityTimeout) : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly List<Entry> _entries = [];
        private readonly SemaphoreSlim _arrived = new(0);

        public string Name => name;

        public void Add(SqsFakeMessage message)
        {
            lock (_gate)
            {
                _entries.Add(new Entry(message));
            }

            _arrived.Release();
        }

        public async Task<List<(SqsFakeMessage Message, string Receipt, int Count, DateTimeOffset FirstReceived)>> ReceiveAsync(
            int max, TimeSpan wait, TimeSpan? visibility, CancellationToken ct)
        {
            var until = DateTimeOffset.UtcNow + wait;
            while (true)
            {
                var taken = Take(max, visibility ?? visibilityTimeout);
                var left = until - DateTimeOffset.UtcNow;
                if (taken.Count > 0 || left <= TimeSpan.Zero)
                {
                    return taken;
                }

                // Woken by a new message, or every 100 ms for messages whose visibility timeout ended.
                await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(false);
            }
        }

        public bool Delete(string receipt)
        {
            lock (_gate)
            {
                var index = _entries.FindIndex(e => e.Receipt == receipt);
                if (index < 0)
                {
                    return false;
                }

                _entries.RemoveAt(index);
                return true;
            }
        }

        public void Purge()
        {
            lock (_gate)
            {
                _entries.Clear();
            }
        }

        public (int Visible, int InFlight) Counts()
        {
            var now = DateTimeOffset.UtcNow;
            lock (_gate)
            {
                var visible = _entries.Count(e => e.InvisibleUntil <= now);
                return (visible, _entries.Count - visible);
            }
        }

        public void Dispose() => _arrived.Dispose();

        private List<(SqsFakeMessage, string, int, DateTimeOffset)> Take(int max, TimeSpan visibility)
        {
            var now = DateTimeOffset.UtcNow;
            var taken = new List<(SqsFakeMessage, string, int, DateTimeOffset)>();
            lock (_gate)
            {
                foreach (var entry in _entries.Where(e => e.InvisibleUntil <= now).Take(max))
                {
                    entry.ReceiveCount++;
                    entry.FirstReceived ??= now;
                    entry.InvisibleUntil = now + visibility;
                    entry.Receipt = Guid.NewGuid().ToString("N");
                    taken.Add((entry.Message, entry.Receipt, entry.ReceiveCount, entry.FirstReceived.Value));
                }
            }

            return taken;
        }

        private sealed class Entry(SqsFakeMessage message)
        {
            public SqsFakeMessage Message => message;

            public int ReceiveCount { get; set; }

            public DateTimeOffset? FirstReceived { get; set; }

            public DateTimeOffset InvisibleUntil { get; set; } = DateTimeOffset.MinValue;

            public string? Receipt { get; set; }
        }
    }
}
