using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ImagePipeline.Http;
using Microsoft.AspNetCore.Connections;

namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// Kestrel answers requests it cannot parse (a request target with <c>%00</c>, no <c>Host</c> header, a malformed
/// request line, headers too large) itself, before any middleware, with an empty body and <c>Connection: close</c>.
/// This connection middleware gives those answers the same problem+json body as every other error. It recognises them
/// by their shape — an error status, <c>Content-Length: 0</c> and <c>Connection: close</c> — which no response of the
/// application has (<see cref="WebServerProblems"/> gives every error a body).
/// </summary>
internal static class ParserErrorBodies
{
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, new RewritingWriter(transport.Output));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    /// <summary>The replacement for an empty parser error response, or null when <paramref name="head"/> is not one.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> head)
    {
        var text = Encoding.ASCII.GetString(head);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0 || end + 4 != text.Length || !text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || text.Length < 12
            || text[9] is not ('4' or '5')
            || !text.Contains("\r\nContent-Length: 0\r\n", StringComparison.OrdinalIgnoreCase)
            || !text.Contains("\r\nConnection: close\r\n", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(text.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status))
        {
            return null;
        }

        var statusLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
        var title = statusLine.Length > 13 ? statusLine[13..] : "Bad Request";
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ApiProblem(ProblemTypes.ForStatus(status), title, status, "The request could not be parsed (malformed request line, target or headers, or no Host header)."),
            ApiJson.Context.ApiProblem);
        var headers = text[..end].Replace("Content-Length: 0", $"Content-Length: {body.Length}", StringComparison.OrdinalIgnoreCase)
            + "\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(headers), .. body];
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    /// <summary>Holds what Kestrel writes until it flushes, so that a whole parser error response can be replaced.</summary>
    private sealed class RewritingWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new();

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Forward();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Forward();
            await inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Forward();
            return inner.FlushAsync(cancellationToken);
        }

        private void Forward()
        {
            if (_pending.WrittenCount == 0)
            {
                return;
            }

            var written = _pending.WrittenSpan;
            var replacement = written.Length < 1024 ? Rewrite(written) : null;
            inner.Write(replacement ?? written);
            _pending.ResetWrittenCount();
        }
    }
}
