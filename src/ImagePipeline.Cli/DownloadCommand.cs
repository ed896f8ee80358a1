using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
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
                    (detail.Error is { } e ? $" ({e.Code}: {ClientOptions.Clause(e.Message)})." : "."));
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
                (temp, var stream) = CreateTempFile(Path.GetDirectoryName(target)!);
                return stream;
            }, cancellationToken);

            // An explicit -o FILE is replaced; a default name never is, even if the file appeared during the download.
            if (!MoveIntoPlace(temp!, target!, overwrite: output is not null))
            {
                await Console.Error.WriteLineAsync($"imagepipeline download: {target} exists; name the file to write with -o (an explicit -o FILE is replaced).");
                return ExitCodes.UsageOrConnection;
            }

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
    /// A new, empty temp file in <paramref name="folder"/> (the target's, so the final move is a rename on one file
    /// system): <c>.ip-&lt;8 hex&gt;.part</c>, short whatever the target's name (a 255-byte name has no room for more).
    /// Never an existing file: another name is tried when one is taken.
    /// </summary>
    internal static (string Path, FileStream Stream) CreateTempFile(string folder)
    {
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(folder, $".ip-{RandomNumberGenerator.GetHexString(8, lowercase: true)}.part");
            try
            {
                return (path, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous));
            }
            catch (IOException) when (attempt < 5 && File.Exists(path))
            {
            }
        }
    }

    /// <summary>
    /// Moves the finished download <paramref name="temp"/> to <paramref name="target"/> in one step. With
    /// <paramref name="overwrite"/> an existing target is replaced; without, the move itself refuses an existing one
    /// (a hard link that fails if the name is taken, then the temp name removed), so a file another process created
    /// meanwhile is never overwritten: false then, and <paramref name="temp"/> is left for the caller to delete.
    /// </summary>
    internal static bool MoveIntoPlace(string temp, string target, bool overwrite)
    {
        try
        {
            File.Move(temp, target, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(target) && File.Exists(temp))
        {
            return false;
        }
    }

    /// <summary>
    /// <c>&lt;id&gt;-&lt;name&gt;.webp</c> for a rendition or the thumbnail; for the original, its file name from
    /// Content-Disposition (reduced to a plain name of at most 255 bytes), else <c>&lt;id&gt;</c> with the extension of its media type.
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
            // A file name is at most 255 bytes (NAME_MAX): 255 characters only if they are ASCII.
            if (name.Length > 0 && Encoding.UTF8.GetByteCount(name) <= 255)
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
