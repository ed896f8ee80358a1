using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace ImagePipeline.Cli;

/// <summary>
/// <c>imagepipeline download ID</c>: follows the API's 302 (<c>/renditions/{name}</c>, <c>/thumbnail</c> or
/// <c>/original</c>) and saves the object.
/// </summary>
internal static partial class DownloadCommand
{
    public static Command Create()
    {
        var id = ClientOptions.ImageId();
        var api = ClientOptions.Api();
        var rendition = new Option<string>("--rendition", "-r")
        {
            Description = "What to download: a rendition name (w320, w640, w1280, w2048), thumbnail, or original [default: the largest rendition made].",
            HelpName = "NAME|thumbnail|original",
        };
        rendition.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && !RenditionName().IsMatch(token.Value))
            {
                result.AddError($"--rendition must be a rendition name like w640, thumbnail or original; got '{ClientOptions.Clean(token.Value)}'.");
            }
        });
        var output = new Option<string>("--output", "-o")
        {
            Description = "File to write (replaced if it exists; '-' writes to stdout) [default: <id>-<name>.webp, <id>-thumbnail.webp, " +
                "or the original's file name, in the current folder, never replacing a file].",
            HelpName = "FILE",
        };
        var command = new Command(
            "download",
            "Download a rendition, the thumbnail or the original. Exit codes: 0 saved, 2 not available (404 unknown image or rendition " +
            "not made for it, 409 not made yet), 1 usage or connection errors.")
        {
            id, api, rendition, output,
        };
        command.SetAction((parse, cancellationToken) => ClientOptions.RunAsync("download", parse.GetValue(api)!, client => RunAsync(
            client, parse.GetValue(id)!, parse.GetValue(rendition)?.ToLowerInvariant(), parse.GetValue(output), cancellationToken), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ApiClient client, string id, string? rendition, string? output, CancellationToken cancellationToken)
    {
        if (rendition is null)
        {
            var (detail, _) = await client.GetImageAsync(id, cancellationToken);
            if (detail.Renditions.MaxBy(r => r.Width) is not { } largest)
            {
                await Console.Error.WriteLineAsync(
                    $"imagepipeline download: image {id} has no renditions: it is {detail.Status}" +
                    (detail.Error is { } e ? $" ({e.Code}: {ClientOptions.Clean(e.Message)})." : "."));
                return ExitCodes.SomeFailed;
            }

            rendition = largest.Name;
        }

        if (output is null && rendition != "original" && File.Exists(DefaultName(id, rendition, null)))
        {
            await Console.Error.WriteLineAsync(
                $"imagepipeline download: {Path.GetFullPath(DefaultName(id, rendition, null))} exists; name the file to write with -o (an explicit -o FILE is replaced).");
            return ExitCodes.UsageOrConnection;
        }

        var what = rendition is "thumbnail" or "original" ? rendition : "renditions/" + rendition;
        var location = await client.GetRedirectAsync(id, what, cancellationToken);

        if (output == "-")
        {
            var stdout = Console.OpenStandardOutput();
            await client.DownloadAsync(location, _ => new NonClosingStream(stdout), cancellationToken);
            await stdout.FlushAsync(cancellationToken);
            return ExitCodes.Success;
        }

        string? target = output is null ? null : Path.GetFullPath(output);
        string? temp = null;
        try
        {
            var bytes = await client.DownloadAsync(location, headers =>
            {
                target ??= Path.GetFullPath(DefaultName(id, rendition, headers));
                temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
                return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            }, cancellationToken);

            if (output is null && File.Exists(target))
            {
                await Console.Error.WriteLineAsync($"imagepipeline download: {target} exists; name the file to write with -o (an explicit -o FILE is replaced).");
                return ExitCodes.UsageOrConnection;
            }

            File.Move(temp!, target!, overwrite: true);
            temp = null;
            await Console.Out.WriteLineAsync($"saved {rendition} of {id} to {ClientOptions.Clean(target)} ({ClientOptions.Bytes(bytes)})");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not LocalFileException)
        {
            await Console.Error.WriteLineAsync($"imagepipeline download: cannot write {ClientOptions.Clean(target ?? output)}: {ClientOptions.Clean(e.Message)}");
            return ExitCodes.UsageOrConnection;
        }
        finally
        {
            if (temp is not null)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }

    /// <summary>
    /// <c>&lt;id&gt;-&lt;name&gt;.webp</c> for a rendition or the thumbnail; for the original, its file name from
    /// Content-Disposition (reduced to a plain name), else <c>&lt;id&gt;</c> with the extension of its media type.
    /// </summary>
    internal static string DefaultName(string id, string rendition, HttpContentHeaders? headers)
    {
        if (rendition != "original")
        {
            return $"{id}-{rendition}.webp";
        }

        var disposition = headers?.ContentDisposition;
        var name = Unquote(disposition?.FileNameStar) ?? Unquote(disposition?.FileName);
        if (name is not null)
        {
            // Only a plain name in the current folder: no directories, no control characters, no dot-names.
            name = Path.GetFileName(name.Replace('\\', '/').Split('/')[^1]);
            name = new string([.. name.Where(c => !char.IsControl(c) && Array.IndexOf(Path.GetInvalidFileNameChars(), c) < 0)]).Trim().TrimStart('.');
            if (name.Length > 0 && name.Length <= 255)
            {
                return name;
            }
        }

        var extension = headers?.ContentType?.MediaType switch
        {
            "image/jpeg" => ".jpg",
            "image/png" => ".png",
            "image/webp" => ".webp",
            "image/gif" => ".gif",
            "image/avif" => ".avif",
            "image/heic" or "image/heif" => ".heic",
            "image/tiff" => ".tiff",
            _ => "",
        };
        return id + extension;
    }

    private static string? Unquote(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim().Trim('"');

    [GeneratedRegex("^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,31})$")]
    private static partial Regex RenditionName();

    /// <summary>stdout stays open after a download into it.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing) => inner.Flush();

        public override ValueTask DisposeAsync() => new(inner.FlushAsync());
    }
}
