using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// Just enough of SSM Parameter Store for the api function's start-up read of its cursor key: <c>GetParameter</c> over
/// the AWS JSON 1.1 protocol on a free loopback port (point <c>AWS_ENDPOINT_URL_SSM</c> at <see cref="Endpoint"/>).
/// Unknown names answer <c>ParameterNotFound</c>, as SSM does.
/// </summary>
internal sealed class SsmFake : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _parameters = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Name, bool WithDecryption)> _reads = new();
    private readonly LoopbackHttpServer _server;

    public SsmFake() => _server = LoopbackHttpServer.Start(ServeAsync);

    public Uri Endpoint => _server.Endpoint;

    /// <summary>Every GetParameter received: the name and whether decryption was asked for.</summary>
    public IReadOnlyList<(string Name, bool WithDecryption)> Reads => [.. _reads];

    public void Put(string name, string value) => _parameters[name] = value;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(HttpListenerContext context, CancellationToken stopping)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var input = JsonDocument.Parse(await reader.ReadToEndAsync(stopping)).RootElement;
        var target = context.Request.Headers["X-Amz-Target"];
        string body;
        if (target != "AmazonSSM.GetParameter" || !input.TryGetProperty("Name", out var nameElement))
        {
            context.Response.StatusCode = 400;
            body = """{"__type":"InvalidAction","message":"Only GetParameter."}""";
        }
        else
        {
            var name = nameElement.GetString()!;
            _reads.Enqueue((name, input.TryGetProperty("WithDecryption", out var decrypt) && decrypt.GetBoolean()));
            if (_parameters.TryGetValue(name, out var value))
            {
                body = JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, object>>
                {
                    ["Parameter"] = new() { ["Name"] = name, ["Type"] = "SecureString", ["Value"] = value, ["Version"] = 1 },
                });
            }
            else
            {
                context.Response.StatusCode = 400;
                body = """{"__type":"ParameterNotFound","message":"Parameter not found."}""";
            }
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, stopping);
        context.Response.Close();
    }
}
