using System.Reflection;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Http;
using ImagePipeline.Hosting;
using ImagePipeline.Imaging;
using ImagePipeline.Local;
using ImagePipeline.Local.Catalog;
using ImagePipeline.Local.Endpoints;
using ImagePipeline.Local.Faults;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Local.Storage;
using Microsoft.AspNetCore.Authentication.JwtBearer;

// dotnet run --project src/ImagePipeline.Local -- [--urls http://127.0.0.1:5080] [--data-dir ./.imagepipeline]
// First, before threads allocate: one malloc arena per core instead of eight (see ProcessMemory).
ProcessMemory.CapMallocArenas();

// Content (the web page) comes from beside the binary, whatever the working directory; data paths stay relative to it.
WebApplicationBuilder builder;
LocalSettings settings;
try
{
    LocalSettings.CheckCommandLine(args);
    builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    settings = LocalSettings.From(builder.Configuration);
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync($"imagepipeline-local: {e.Message}");
    return 2;
}

// Another process (often a host started earlier, on the same data directory) listening there gets one clear line
// before this one opens the catalog or recovers uploads, not the web server's stack trace after.
if (!PortIsFree(settings.Url))
{
    await Console.Error.WriteLineAsync(AddressInUse(settings.Url));
    return 1;
}

builder.WebHost.UseUrls(settings.Url.ToString());
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.ConfigureEndpointDefaults(listen => listen.Use(ParserErrorBodies.Middleware));
});
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

// Stage work is synchronous libvips code on pool threads (two queues × concurrency, plus parallel encodes): without
// headroom the pool's slow growth would make HTTP requests wait behind image work for a second or more.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, (4 * settings.Concurrency) + 16), minIo);

Directory.CreateDirectory(settings.DataDirectory);
var switches = TestSwitches.FromEnvironment();
TimeProvider clock = switches.ClockOffset == TimeSpan.Zero ? TimeProvider.System : new OffsetTimeProvider(switches.ClockOffset);
var engine = new LibvipsImageEngine(new LibvipsEngineOptions { Limits = settings.Limits });
var catalog = new SqliteImageCatalog(Path.Combine(settings.DataDirectory, "catalog.db"));
var signer = UrlSigner.Open(settings.DataDirectory, settings.PublicUrl ?? settings.Url, clock);
var store = new FileObjectStore(settings.DataDirectory, signer);
var options = new PipelineOptions
{
    Limits = settings.Limits,
    MaxAttempts = settings.MaxAttempts,
    CursorKey = UrlSigner.LoadOrCreateKey(Path.Combine(settings.DataDirectory, "cursor.key")),
};
options.Validate();
var outbox = new Outbox(Path.Combine(settings.DataDirectory, "queue.db"), clock);
var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

builder.Services.AddSingleton(clock);
builder.Services.AddSingleton<IImageEngine>(engine);
builder.Services.AddSingleton<IImageCatalog>(catalog);
builder.Services.AddSingleton(signer);
builder.Services.AddSingleton(store);
builder.Services.AddSingleton<IObjectStore>(store);
builder.Services.AddSingleton(outbox);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(new DispatcherOptions { Concurrency = settings.Concurrency, MaxAttempts = settings.MaxAttempts });
builder.Services.AddSingleton(sp => switches.Faults is { } faults
    ? new StageProcessor(new FaultInjectingCatalog(catalog, faults), new FaultInjectingObjectStore(store, faults), engine, options, clock)
    : new StageProcessor(catalog, store, engine, options, clock));
if (settings.Auth is { } auth)
{
    builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt => LocalSignIn.Configure(jwt, auth));
}

builder.Services.AddSingleton(sp =>
{
    var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("ImagePipeline.Api");
    var queries = new ImageQueries(catalog, store, options, clock);
    return new ImageApi(
        new UploadService(catalog, store, engine.DecodableFormats, options, clock),
        queries,
        new DeleteService(catalog, store, options, clock),
        new ReprocessService(queries, catalog, new OutboxStageQueue(outbox), ObjectEndpoints.OriginalsBucketName, options, clock),
        settings.Auth is null ? _ => "local" : request => request.CallerSubject,
        engine.DecodableFormats,
        version,
        options,
        (request, error) => log.LogError(error, "Unhandled error serving {Method} {Path}", request.Method, request.Path),
        settings.Auth is { } signIn
            ? new SignInConfig(signIn.Authority.ToString().TrimEnd('/'), signIn.ClientId, signIn.Scopes, null, SignInDefaults.CliRedirectUri(SignInDefaults.CliCallbackPort))
            : null);
});
builder.Services.AddSingleton(sp => new UploadRecovery(store, outbox, clock, sp.GetRequiredService<ILogger<UploadRecovery>>()));
builder.Services.AddHostedService<StageDispatcher>();
builder.Services.AddHostedService<CatalogSweeper>();

var app = builder.Build();

// Before the dispatcher takes messages: make sure every stored original has its events.
await app.Services.GetRequiredService<UploadRecovery>().RunAsync(atStartup: true, CancellationToken.None);

// Every error this host or its web server produces is problem+json, never an empty body or a 500 with a stack trace.
app.Use(WebServerProblems.HandleAsync);

var hosts = new HostAllowList(settings.Url, settings.PublicUrl);
var contentSecurityPolicy = LocalSignIn.ContentSecurityPolicy(settings.Auth);
app.Use(async (context, next) =>
{
    var request = context.Request;
    var twin = LoopbackTwinRedirect.Target(settings.Url, request.Method, request.Host.Host, request.Host.Port, request.Path.Value ?? "/", request.QueryString.Value ?? "");
    if (twin is not null)
    {
        context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
        context.Response.Headers.Location = twin.ToString();
        return;
    }

    // A page whose own name was rebound to 127.0.0.1 (DNS rebinding) still sends its own name as Host.
    if (!hosts.IsAllowed(request.Host.Host, request.Host.Port))
    {
        await WebServerProblems.WriteAsync(context, StatusCodes.Status400BadRequest, "Bad Request", $"This host answers for {hosts.Describe()} only.");
        return;
    }

    if (!context.Request.Path.StartsWithSegments("/v1") && !context.Request.Path.StartsWithSegments("/objects"))
    {
        // The page loads only its own scripts and styles, and images from this host (signed object URLs).
        context.Response.Headers.ContentSecurityPolicy = contentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    await next(context);
});
if (settings.Auth is not null)
{
    // Sets the caller when a valid bearer token comes with the request; the API itself answers 401 when none does.
    app.UseAuthentication();
}

app.UseDefaultFiles();
app.UseStaticFiles();
app.Map("/v1/{**path}", (HttpContext context, ImageApi api) => ApiEndpoint.HandleAsync(context, api));
app.MapMethods("/objects/{**path}", ["PUT"], ObjectEndpoints.PutAsync);
app.MapMethods("/objects/{**path}", ["GET", "HEAD"], ObjectEndpoints.GetAsync);

app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
    "ImagePipeline {Version} listening on {Url} with data in {DataDirectory}; libvips {Libvips}, formats {Formats}; sign-in {SignIn}",
    version, settings.Url, settings.DataDirectory, LibvipsImageEngine.LibvipsVersion, string.Join(", ", engine.DecodableFormats.Select(f => f.ToName())),
    settings.Auth is { } on ? $"through {on.Authority} for audience {on.Audience}" : "off (this machine only)"));
if (switches.AnyOn)
{
    app.Logger.LogWarning(
        "Test switches on: clock offset {ClockOffset}, storage faults {Faults} (seed {Seed}, rate {Rate})",
        switches.ClockOffset, switches.Faults is not null, switches.Faults?.Seed, switches.Faults?.Rate);
    if (switches.Faults is { } plan)
    {
        plan.Injected = where => app.Logger.LogWarning("Injected storage fault {Where}", where);
    }
}

try
{
    await app.RunAsync();
}
catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // Taken between the check and the bind.
    await Console.Error.WriteLineAsync(AddressInUse(settings.Url));
    return 1;
}

return 0;

static string AddressInUse(Uri url) =>
    $"imagepipeline-local: {url} is already in use by another program (another ImagePipeline host?). Stop it, or choose another address with --urls http://127.0.0.1:PORT.";

static bool PortIsFree(Uri url)
{
    var address = System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) ? ip : System.Net.IPAddress.Loopback;
    try
    {
        var probe = new System.Net.Sockets.TcpListener(address, url.Port);
        probe.Start();
        probe.Stop();
        return true;
    }
    catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
    {
        return false;
    }
}
