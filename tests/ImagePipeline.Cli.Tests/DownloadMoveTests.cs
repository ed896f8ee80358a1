using System.Text;
using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The last step of <c>download</c>, called directly: the temp file it writes into and the move into place. A file
/// that appears under the target name after the command looked (another process, between the check and the move)
/// must not be overwritten when the name was not given with <c>-o</c>.
/// </summary>
public sealed class DownloadMoveTests
{
    [Fact]
    public void MoveIntoPlace_TargetCreatedAfterTheCheck_IsNotOverwrittenAndTheTempFileStays()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("photo.webp");
        var part = WriteTemp(temp.Path, "downloaded");
        Assert.False(File.Exists(target)); // what the command saw before downloading

        // Another process creates the file now, between that check and the move.
        File.WriteAllText(target, "someone else's");
        var moved = DownloadCommand.MoveIntoPlace(part, target, overwrite: false);

        Assert.False(moved);
        Assert.Equal("someone else's", File.ReadAllText(target));
        Assert.Equal("downloaded", File.ReadAllText(part)); // the caller deletes it
    }

    [Fact]
    public void MoveIntoPlace_NoTarget_MovesTheFile()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("photo.webp");
        var part = WriteTemp(temp.Path, "downloaded");

        Assert.True(DownloadCommand.MoveIntoPlace(part, target, overwrite: false));

        Assert.Equal("downloaded", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void MoveIntoPlace_WithOverwrite_ReplacesAnExistingTarget()
    {
        // -o FILE names the file to write: it is replaced, as documented.
        using var temp = new TempDirectory();
        var target = temp.Combine("photo.webp");
        File.WriteAllText(target, "old");
        var part = WriteTemp(temp.Path, "downloaded");

        Assert.True(DownloadCommand.MoveIntoPlace(part, target, overwrite: true));

        Assert.Equal("downloaded", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void CreateTempFile_IsAShortHiddenNameInTheFolderAndNeverAnExistingFile()
    {
        using var temp = new TempDirectory();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            var (path, stream) = DownloadCommand.CreateTempFile(temp.Path);
            stream.Dispose();
            Assert.Equal(temp.Path, Path.GetDirectoryName(path));
            Assert.Matches("^\\.ip-[0-9a-f]{8}\\.part$", Path.GetFileName(path));
            Assert.True(names.Add(path), "A temp name came twice: " + path);
        }

        // 17 bytes whatever the target's name: far below the 255-byte limit a 255-character target name already reaches.
        Assert.All(names, n => Assert.Equal(17, Encoding.UTF8.GetByteCount(Path.GetFileName(n))));
    }

    [Theory]
    [InlineData(255, 1, true)] // 255 ASCII characters: 255 bytes
    [InlineData(200, 2, false)] // 200 characters of 2 bytes: too long for a file name, so the id is used
    [InlineData(100, 2, true)]
    public void DefaultName_OfTheOriginal_IsItsNameOnlyWhenItFitsIn255Bytes(int length, int bytesPerCharacter, bool kept)
    {
        const string id = "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b";
        var name = new string(bytesPerCharacter == 1 ? 'a' : 'é', length - 4) + ".jpg";
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        content.Headers.ContentDisposition = new System.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileNameStar = name };

        var chosen = DownloadCommand.DefaultName(id, "original", content.Headers);

        Assert.Equal(kept ? name : id + ".jpg", chosen);
    }

    private static string WriteTemp(string folder, string text)
    {
        var (path, stream) = DownloadCommand.CreateTempFile(folder);
        using (stream)
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }

        return path;
    }
}
