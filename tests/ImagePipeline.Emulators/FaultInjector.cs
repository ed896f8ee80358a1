using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;

namespace ImagePipeline.Emulators;

/// <summary>The AWS service a faulty client talks to: decides what its injected errors look like.</summary>
public enum FaultService
{
    /// <summary>S3: XML errors (<c>InternalError</c>, <c>SlowDown</c>).</summary>
    S3,
    /// <summary>DynamoDB: AWS JSON errors (<c>ThrottlingException</c>, <c>ProvisionedThroughputExceededException</c>…).</summary>
    DynamoDb,
    /// <summary>SQS: AWS JSON errors with the query-compatible header.</summary>
    Sqs,
}

/// <summary>
/// Fails a seeded-random fraction of the requests AWS SDK clients send, between the SDK and the emulators: the SDK's
/// own <see cref="HttpClientFactory"/> puts a <see cref="DelegatingHandler"/> under every client built with
/// <see cref="Configure"/>. Each request fails with probability <see cref="Rate"/>, as one of the kinds of its service,
/// chosen by the same seeded generator:
/// <list type="bullet">
/// <item>the service's throttling and server errors, answered without reaching the emulator (S3: 500 InternalError,
/// 503 SlowDown; DynamoDB: 400 ThrottlingException, 400 ProvisionedThroughputExceededException, 500
/// InternalServerError; SQS: 400 ThrottlingException, 500 InternalError);</item>
/// <item><c>lost-response</c>: the request IS forwarded and applied, then its answer is replaced by a 500 — the case
/// where the caller cannot tell whether its write happened;</item>
/// <item><c>connection-reset</c> and <c>timeout</c>: what HttpClient throws when the connection drops or its timeout
/// fires (<see cref="HttpRequestException"/>, <see cref="TaskCanceledException"/> over a <see cref="TimeoutException"/>).</item>
/// </list>
/// Decisions are drawn in request order, so a sequential run with the same seed injects the same faults. Clients built
/// with <see cref="Configure"/> should also have the SDK's retries turned off (it does), so every fault reaches the code
/// under test instead of being absorbed by the SDK.
/// </summary>
public sealed class FaultInjector(int seed, double rate)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, int> _injected = new(StringComparer.Ordinal);
    private int _requests;

    /// <summary>The seed of the generator (print it: it reproduces a sequential run).</summary>
    public int Seed => seed;

    /// <summary>The probability that a request fails.</summary>
    public double Rate => rate;

    /// <summary>False to let every request through (setting up, checking results).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests seen while enabled.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Injected faults by kind (<c>dynamodb 400 ThrottlingException</c>, <c>s3 lost-response</c>…).</summary>
    public IReadOnlyDictionary<string, int> Injected => new Dictionary<string, int>(_injected);

    /// <summary>Total injected faults.</summary>
    public int InjectedTotal => _injected.Values.Sum();

    /// <summary>
    /// Routes <paramref name="config"/>'s requests through this injector for <paramref name="service"/> and turns the
    /// SDK's retries off (<c>MaxErrorRetry = 0</c>).
    /// </summary>
    public T Configure<T>(T config, FaultService service) where T : ClientConfig
    {
        ArgumentNullException.ThrowIfNull(config);
        config.HttpClientFactory = new Factory(this, service);
        config.MaxErrorRetry = 0;
        return config;
    }

    /// <summary>The fault for the next request, or null to let it through.</summary>
    private Fault? Draw(FaultService service)
    {
        if (!Enabled)
        {
            return null;
        }

        Interlocked.Increment(ref _requests);
        Fault[] kinds = service switch
        {
            FaultService.S3 => S3Faults,
            FaultService.DynamoDb => DynamoDbFaults,
            _ => SqsFaults,
        };
        Fault fault;
        lock (_gate)
        {
            if (_random.NextDouble() >= rate)
            {
                return null;
            }

            fault = kinds[_random.Next(kinds.Length)];
        }

        _injected.AddOrUpdate($"{service.ToString().ToLowerInvariant()} {fault.Name}", 1, (_, n) => n + 1);
        return fault;
    }

    private static readonly Fault[] S3Faults =
    [
        Fault.Xml(HttpStatusCode.InternalServerError, "InternalError", "We encountered an internal error. Please try again."),
        Fault.Xml(HttpStatusCode.ServiceUnavailable, "SlowDown", "Please reduce your request rate."),
        Fault.LostResponse(Fault.Xml(HttpStatusCode.InternalServerError, "InternalError", "We encountered an internal error. Please try again.")),
        Fault.Throw("connection-reset", () => new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)))),
        Fault.Throw("timeout", () => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout.", new TimeoutException("The operation was canceled."))),
    ];

    private static readonly Fault[] DynamoDbFaults =
    [
        Fault.Json(HttpStatusCode.BadRequest, "com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput.", null),
        Fault.Json(HttpStatusCode.BadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded.", null),
        Fault.Json(HttpStatusCode.InternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error", null),
        Fault.LostResponse(Fault.Json(HttpStatusCode.InternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error", null)),
        Fault.Throw("connection-reset", () => new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)))),
        Fault.Throw("timeout", () => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout.", new TimeoutException("The operation was canceled."))),
    ];

    private static readonly Fault[] SqsFaults =
    [
        Fault.Json(HttpStatusCode.BadRequest, "com.amazonaws.sqs#ThrottlingException", "Rate exceeded.", "ThrottlingException;Sender"),
        Fault.Json(HttpStatusCode.InternalServerError, "com.amazonaws.sqs#InternalError", "We encountered an internal error. Please try again.", "InternalError;Receiver"),
        Fault.LostResponse(Fault.Json(HttpStatusCode.InternalServerError, "com.amazonaws.sqs#InternalError", "We encountered an internal error. Please try again.", "InternalError;Receiver")),
        Fault.Throw("connection-reset", () => new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)))),
    ];

    /// <summary>One kind of fault: an answer made up in place of the service's, or an exception, or a lost answer.</summary>
    private sealed record Fault(string Name, Func<HttpResponseMessage>? Answer, Func<Exception>? Exception, bool Forward)
    {
        public static Fault Xml(HttpStatusCode status, string code, string message) => new($"{(int)status} {code}", () =>
        {
            var xml = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-injector</RequestId></Error>";
            var answer = new HttpResponseMessage(status) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") };
            answer.Headers.TryAddWithoutValidation("x-amz-request-id", "fault-injector");
            return answer;
        }, null, false);

        public static Fault Json(HttpStatusCode status, string type, string message, string? queryError) => new($"{(int)status} {type.Split('#')[^1]}", () =>
        {
            var json = $$"""{"__type":"{{type}}","message":"{{message}}"}""";
            var answer = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8) };
            answer.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.0");
            answer.Headers.TryAddWithoutValidation("x-amzn-RequestId", "fault-injector");
            if (queryError is not null)
            {
                answer.Headers.TryAddWithoutValidation("x-amzn-query-error", queryError);
            }

            return answer;
        }, null, false);

        public static Fault LostResponse(Fault answer) => answer with { Name = "lost-response", Forward = true };

        public static Fault Throw(string name, Func<Exception> exception) => new(name, null, exception, false);
    }

    private sealed class Factory(FaultInjector injector, FaultService service) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new Handler(injector, service, new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }))
            {
                Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100),
            };

        // One HttpClient per SDK client, ours: the SDK's cache would share it across configs that differ only here.
        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

        public override string GetConfigUniqueString(IClientConfig clientConfig) => "fault-injector:" + service;
    }

    private sealed class Handler(FaultInjector injector, FaultService service, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var fault = injector.Draw(service);
            if (fault is null)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }

            if (fault.Forward)
            {
                // Applied by the service, answer lost on the way back.
                using var applied = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                await applied.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            }

            if (fault.Exception is { } exception)
            {
                throw exception();
            }

            var answer = fault.Answer!();
            answer.RequestMessage = request;
            return answer;
        }
    }
}
