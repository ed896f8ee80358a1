using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Cli.SignIn;

/// <summary>The tokens of one deployment, as <c>login</c> saved them (and refreshes replace them).</summary>
/// <param name="Authority">The OpenID Connect issuer the tokens came from.</param>
/// <param name="ClientId">The public client they were issued to (a refresh must name the same).</param>
/// <param name="Scopes">The scopes asked for, space-separated.</param>
/// <param name="User">Who signed in, for messages: the ID token's name, else its subject.</param>
/// <param name="AccessToken">The bearer token sent to the API.</param>
/// <param name="ExpiresAt">When <paramref name="AccessToken"/> expires.</param>
/// <param name="RefreshToken">Renews the access token without a browser; null when the provider gave none.</param>
/// <param name="SavedAt">When this entry was written.</param>
internal sealed record StoredTokens(
    string Authority,
    string ClientId,
    string Scopes,
    string? User,
    string AccessToken,
    DateTimeOffset ExpiresAt,
    string? RefreshToken,
    DateTimeOffset SavedAt);

/// <summary>The whole token file: one entry per API base URL (as <c>--api</c> is shown, without a trailing slash).</summary>
internal sealed record TokenFile(int Version, Dictionary<string, StoredTokens> Apis);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(TokenFile))]
internal sealed partial class TokenJsonContext : JsonSerializerContext;

/// <summary>
/// The CLI's token cache: <c>$XDG_CONFIG_HOME/imagepipeline/tokens.json</c> (else <c>~/.config/imagepipeline/</c>;
/// <c>%APPDATA%\imagepipeline\</c> on Windows), one entry per API. The folder is created with mode 0700; the file is
/// only ever replaced whole — written to a temp file created with mode 0600 in the same folder, flushed to disk, then
/// renamed over it — so a reader sees the old file or the new one, never a mix, and never a file others may read.
/// Changes are read-modify-write under an exclusive lock on <c>tokens.lock</c> beside it, so CLIs running at once
/// (parallel uploads, a refresh in two terminals) never lose each other's updates.
/// </summary>
internal sealed class TokenStore(string directory)
{
    public const string FileName = "tokens.json";
    public const string LockFileName = "tokens.lock";
    private const int CurrentVersion = 1;

    /// <summary>How long a change waits for another CLI's lock (a refresh holds it for one token request).</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The folder holding the token file.</summary>
    public string Directory { get; } = directory;

    /// <summary>The token file.</summary>
    public string FilePath => Path.Combine(Directory, FileName);

    /// <summary>The user's store, in their configuration folder.</summary>
    public static TokenStore ForUser() => new(Path.Combine(ConfigDirectory(), "imagepipeline"));

    /// <summary><c>$XDG_CONFIG_HOME</c> when it is an absolute path, else <c>~/.config</c> (<c>%APPDATA%</c> on Windows).</summary>
    public static string ConfigDirectory()
    {
        if (Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg && Path.IsPathFullyQualified(xdg))
        {
            return xdg;
        }

        if (OperatingSystem.IsWindows())
        {
            return Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
        }

        var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new TokenStoreException("neither XDG_CONFIG_HOME nor HOME is set: there is no folder to keep the sign-in in.");
        }

        return Path.Combine(home, ".config");
    }

    /// <summary>The saved tokens of <paramref name="api"/>; null when there are none (or the file cannot be read).</summary>
    public StoredTokens? Get(string api) => Read().Apis.GetValueOrDefault(api);

    /// <summary>
    /// Changes the file under the lock: <paramref name="change"/> gets the current entries (from disk, read under the
    /// lock) and edits them; the file is written when it returns true.
    /// </summary>
    public async Task<T> UpdateAsync<T>(Func<Dictionary<string, StoredTokens>, Task<(bool Changed, T Result)>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        CreateDirectory();
        await using var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        var entries = Read().Apis;
        var (changed, result) = await change(entries).ConfigureAwait(false);
        if (changed)
        {
            Write(new TokenFile(CurrentVersion, entries));
        }

        return result;
    }

    /// <summary>Saves <paramref name="tokens"/> for <paramref name="api"/>, replacing what was there.</summary>
    public Task SaveAsync(string api, StoredTokens tokens, CancellationToken cancellationToken) =>
        UpdateAsync(entries =>
        {
            entries[api] = tokens;
            return Task.FromResult((true, true));
        }, cancellationToken);

    /// <summary>Removes the tokens of <paramref name="api"/>; returns what was removed (null: there were none).</summary>
    public Task<StoredTokens?> RemoveAsync(string api, CancellationToken cancellationToken) =>
        UpdateAsync(entries => Task.FromResult(entries.Remove(api, out var removed) ? (true, (StoredTokens?)removed) : (false, (StoredTokens?)null)), cancellationToken);

    /// <summary>The file's entries; an absent file is empty, and so is one that cannot be parsed (then a warning is printed).</summary>
    internal TokenFile Read()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Empty();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenStoreException($"cannot read the saved sign-in {FilePath}: {e.Message}", e);
        }

        try
        {
            var file = JsonSerializer.Deserialize(bytes, TokenJsonContext.Default.TokenFile);
            if (file?.Apis is not null && file.Version == CurrentVersion)
            {
                // Entries missing a required value (hand-edited) are dropped rather than trusted.
                var valid = file.Apis.Where(e => e.Value is { Authority.Length: > 0, ClientId.Length: > 0, AccessToken.Length: > 0 })
                    .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                return new TokenFile(CurrentVersion, valid);
            }
        }
        catch (JsonException)
        {
        }

        Console.Error.WriteLine($"imagepipeline: ignoring the saved sign-in {FilePath}: it is not a token file of this version (it is replaced at the next login or logout).");
        return Empty();
    }

    private static TokenFile Empty() => new(CurrentVersion, new Dictionary<string, StoredTokens>(StringComparer.Ordinal));

    private void CreateDirectory()
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(Directory);
            }
            else
            {
                System.IO.Directory.CreateDirectory(Directory, OwnerOnlyFolder);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenStoreException($"cannot create {Directory} for the saved sign-in: {e.Message}", e);
        }
    }

    /// <summary>Replaces the file: a new 0600 temp file in the same folder, flushed, renamed over the old one.</summary>
    private void Write(TokenFile file)
    {
        var temp = Path.Combine(Directory, $".{FileName}.{Guid.NewGuid().ToString("N")[..8]}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }

            using (var stream = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(stream, file, TokenJsonContext.Default.TokenFile);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new TokenStoreException($"cannot save the sign-in in {FilePath}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The exclusive lock on <c>tokens.lock</c>: the file opened with no sharing, which .NET takes as an advisory
    /// <c>flock</c> on Unix (and a real share lock on Windows); the process's death releases it. The lock file stays.
    /// </summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Directory, LockFileName);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        var waited = Stopwatch.StartNew();
        var delay = 10;
        while (true)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (waited.Elapsed < LockTimeout)
            {
                // Another CLI holds it.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 200);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TokenStoreException($"cannot lock {path} (another imagepipeline held it for {LockTimeout.TotalSeconds:0} s, or it is not writable): {e.Message}", e);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The token file could not be read, locked or written (exit code 1).</summary>
internal sealed class TokenStoreException(string message, Exception? inner = null) : Exception(message, inner);
