using System.Text.Json;
using ImagePipeline.Cli.SignIn;
using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The token file itself: owner-only (0600 in a 0700 folder) however it was before, replaced whole (a reader never
/// sees half a file), and changed under a lock (writers at once lose nothing) — in this process, and across processes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TokenStoreTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Save_ReplacesAFileOthersCouldRead_WithAnOwnerOnlyOne()
    {
        using var temp = new TempDirectory();
        var store = new TokenStore(temp.Combine("imagepipeline"));
        Directory.CreateDirectory(store.Directory);
        await File.WriteAllTextAsync(store.FilePath, """{"version":1,"apis":{}}""", Cancel);
        File.SetUnixFileMode(store.FilePath, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await store.SaveAsync("http://127.0.0.1:5080", Tokens("a"), Cancel);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal("a", store.Get("http://127.0.0.1:5080")?.AccessToken);
    }

    [Fact]
    public async Task Save_CreatesTheFolderOwnerOnly()
    {
        using var temp = new TempDirectory();
        var store = new TokenStore(temp.Combine("config", "imagepipeline"));

        await store.SaveAsync("http://127.0.0.1:5080", Tokens("a"), Cancel);

        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(store.FilePath));
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoUpdate_AndAReaderAlwaysSeesAWholeFile()
    {
        using var temp = new TempDirectory();
        var store = new TokenStore(temp.Combine("imagepipeline"));
        await store.SaveAsync("seed", Tokens("seed"), Cancel);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Each read is the old file or the new one: always whole JSON with every required value.
                var file = JsonSerializer.Deserialize(File.ReadAllBytes(store.FilePath), TokenJsonContext.Default.TokenFile);
                Assert.NotNull(file);
                Assert.All(file.Apis.Values, t => Assert.False(string.IsNullOrEmpty(t.AccessToken)));
                reads++;
            }
        }, Cancel);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await store.SaveAsync($"http://api-{writer}.example", Tokens($"{writer}-{i}-" + new string('x', 2000)), Cancel);
            }
        }, Cancel)));
        await stop.CancelAsync();
        await reader;

        var apis = store.Read().Apis;
        Assert.Equal(9, apis.Count);
        for (var writer = 0; writer < 8; writer++)
        {
            Assert.StartsWith($"{writer}-9-", apis[$"http://api-{writer}.example"].AccessToken, StringComparison.Ordinal);
        }

        Assert.True(reads > 0);
        Assert.Equal(["tokens.json", "tokens.lock"], Directory.GetFiles(store.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    [Trait("Category", "Integration")]
    public async Task ConcurrentLogouts_InSeparateProcesses_EachRemoveTheirEntry()
    {
        using var home = new UserConfig();
        var store = new TokenStore(home.Folder);
        var apis = Enumerable.Range(0, 6).Select(i => $"http://127.0.0.1:{20000 + i}").ToList();
        foreach (var api in apis)
        {
            await store.SaveAsync(api, Tokens(api), Cancel);
        }

        await store.SaveAsync("http://127.0.0.1:1", Tokens("stays"), Cancel);

        var runs = await Task.WhenAll(apis.Select(api => CliRunner.RunAsync(["logout", "--api", api], home.Environment())));

        foreach (var run in runs)
        {
            run.AssertExitCode(0);
            Assert.Contains("Signed out of http://127.0.0.1:", run.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(["http://127.0.0.1:1"], store.Read().Apis.Keys);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(store.FilePath));
    }

    [Fact]
    public void Read_AFileThatIsNotATokenFile_IsEmpty()
    {
        using var temp = new TempDirectory();
        var store = new TokenStore(temp.Path);
        File.WriteAllText(store.FilePath, "{ not json");

        Assert.Empty(store.Read().Apis);
        Assert.Null(store.Get("http://127.0.0.1:5080"));
    }

    private static StoredTokens Tokens(string accessToken) =>
        new("http://127.0.0.1:1", "client", "openid", "alice", accessToken, DateTimeOffset.UtcNow.AddMinutes(10), "refresh", DateTimeOffset.UtcNow);
}
