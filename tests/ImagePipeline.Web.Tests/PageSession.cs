using ImagePipeline.Testing;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// One page in its own browser context. Everything the page logs is collected: console errors, uncaught exceptions and
/// Content-Security-Policy violations (from the console and from <c>securitypolicyviolation</c> events), and
/// <see cref="AssertCleanAsync"/> fails the test on any that was not expected.
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    // Runs before the page's own scripts (through the DevTools protocol, so the page's CSP does not apply to it).
    private const string ViolationRecorder = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
        });
        """;

    private readonly IBrowserContext _context;
    private readonly LocalHostProcess _host;
    private readonly Lock _lock = new();
    private readonly List<string> _log = [];
    private readonly List<string> _errors = [];
    private readonly List<(string UrlPart, int? Status)> _expectedFailures = [];

    private PageSession(IBrowserContext context, IPage page, LocalHostProcess host)
    {
        _context = context;
        _host = host;
        Page = page;
        page.Console += (_, message) =>
        {
            var line = $"console.{message.Type}: {message.Text} ({message.Location})";
            lock (_lock)
            {
                _log.Add(line);
                if (message.Type is "error" or "assert" || message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                {
                    _errors.Add(line);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_lock)
            {
                _log.Add("pageerror: " + error);
                _errors.Add("uncaught: " + error);
            }
        };
        page.RequestFailed += (_, request) =>
        {
            lock (_lock)
            {
                _log.Add($"requestfailed: {request.Method} {request.Url} {request.Failure}");
            }
        };
    }

    public IPage Page { get; }

    internal static async Task<PageSession> CreateAsync(IBrowserContext context, LocalHostProcess host)
    {
        await context.AddInitScriptAsync(ViolationRecorder);
        var page = await context.NewPageAsync();
        return new PageSession(context, page, host);
    }

    /// <summary>
    /// Opens a page of the site and checks it was served with the host's Content-Security-Policy; waits until the page
    /// has started (its first page of images asked for) unless <paramref name="waitForGallery"/> is false (signed out).
    /// </summary>
    public async Task<IResponse> GotoAsync(string path = "/", bool waitForGallery = true)
    {
        var response = await Page.GotoAsync(path, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.NotNull(csp);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        // The page has started once it has asked for its first page of images.
        if (waitForGallery)
        {
            await Expect(Page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        }

        return response;
    }

    /// <summary>A failed request the test provokes on purpose (Chromium logs it as a console error).</summary>
    public void ExpectFailedRequest(string urlPart, int? status = null)
    {
        lock (_lock)
        {
            _expectedFailures.Add((urlPart, status));
        }
    }

    /// <summary>Picks files with the page's file input, as the picker would.</summary>
    public Task ChooseFilesAsync(params FilePayload[] files) => Page.Locator("#file-input").SetInputFilesAsync(files);

    public static FilePayload FileFrom(string path, string? name = null, string? mimeType = null) => new()
    {
        Name = name ?? Path.GetFileName(path),
        MimeType = mimeType ?? MimeTypeOf(path),
        Buffer = File.ReadAllBytes(path),
    };

    /// <summary>The upload list's item for a file (only files the API has not recorded: waiting, refused, failed).</summary>
    public ILocator Upload(string fileName) => Page.Locator($"#uploads li[data-file-name={JsonSerializer.Serialize(fileName)}]");

    /// <summary>The gallery card of a file this page uploaded (it shows the upload, then the image).</summary>
    public ILocator UploadedCard(string fileName) => Page.Locator($"#gallery li.card[data-upload][data-file-name={JsonSerializer.Serialize(fileName)}]");

    /// <summary>Waits until the file's original is uploaded (and maybe already processed) and returns its image id.</summary>
    public async Task<string> WaitUploadedAsync(string fileName)
    {
        var card = UploadedCard(fileName);
        await Expect(card).ToHaveAttributeAsync("data-upload", "uploaded");
        await Expect(card.Locator("progress")).ToBeHiddenAsync();
        var id = await card.GetAttributeAsync("data-id");
        Assert.False(string.IsNullOrEmpty(id), $"The card of {fileName} carries no image id.");
        return id;
    }

    /// <summary>The gallery card of an image.</summary>
    public ILocator Card(string id) => Page.Locator($"#gallery li.card[data-id='{id}']");

    /// <summary>Waits until the card shows <paramref name="status"/>.</summary>
    public async Task<ILocator> WaitCardAsync(string id, string status)
    {
        var card = Card(id);
        await Expect(card).ToHaveAttributeAsync("data-status", status);
        await Expect(card.Locator(".badge")).ToHaveTextAsync(status);
        return card;
    }

    /// <summary>Waits until no card in the gallery is pending or processing.</summary>
    public Task WaitAllSettledAsync() =>
        Expect(Page.Locator("#gallery li.card[data-status='pending'], #gallery li.card[data-status='processing']")).ToHaveCountAsync(0);

    /// <summary>How many lines the text of the first element <paramref name="locator"/> matches takes on screen.</summary>
    public static Task<int> LineCountAsync(ILocator locator) => locator.First.EvaluateAsync<int>(
        """
        (element) => {
          const range = document.createRange();
          range.selectNodeContents(element);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          return tops.size;
        }
        """);

    /// <summary>Whether the first element <paramref name="locator"/> matches shows all of its text (nothing cut off).</summary>
    public static Task<bool> ShowsWholeTextAsync(ILocator locator) =>
        locator.First.EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight + 1");

    /// <summary>Saves a full-page screenshot under artifacts/screenshots and reports its path.</summary>
    public async Task<string> ScreenshotAsync(string fileName, bool fullPage = true)
    {
        Directory.CreateDirectory(WebFixture.ScreenshotDirectory);
        var path = Path.Combine(WebFixture.ScreenshotDirectory, fileName);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
        Assert.True(new FileInfo(path).Length > 1000, $"The screenshot {path} is suspiciously small.");
        TestContext.Current.TestOutputHelper?.WriteLine($"Screenshot: {path}");
        TestContext.Current.AddAttachment(fileName, path);
        return path;
    }

    /// <summary>Fails on any console error, uncaught exception or CSP violation the test did not expect.</summary>
    public async Task AssertCleanAsync()
    {
        var violations = await Page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        List<string> unexpected;
        lock (_lock)
        {
            unexpected = [.. _errors.Where(line => !IsExpected(line))];
        }

        Assert.True(violations.Length == 0, "Content-Security-Policy violations:" + Environment.NewLine + string.Join(Environment.NewLine, violations));
        Assert.True(unexpected.Count == 0, "The page logged errors:" + Environment.NewLine + string.Join(Environment.NewLine, unexpected) + Environment.NewLine + Log());
    }

    /// <summary>Everything the page logged, for failure messages.</summary>
    public string Log()
    {
        lock (_lock)
        {
            return "--- page log ---" + Environment.NewLine + string.Join(Environment.NewLine, _log) + Environment.NewLine +
                   "--- host output (tail) ---" + Environment.NewLine + _host.OutputTail(3000);
        }
    }

    private bool IsExpected(string line) =>
        line.Contains("Failed to load resource", StringComparison.Ordinal) &&
        _expectedFailures.Any(f => line.Contains(f.UrlPart, StringComparison.Ordinal) &&
                                   (f.Status is not { } status || line.Contains($"status of {status} ", StringComparison.Ordinal)));

    private static string MimeTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".gif" => "image/gif",
        _ => "application/octet-stream",
    };

    public async ValueTask DisposeAsync()
    {
        TestContext.Current.TestOutputHelper?.WriteLine(Log());
        await _context.CloseAsync();
    }
}
