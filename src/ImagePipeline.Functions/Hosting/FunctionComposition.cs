using System.Reflection;
using System.Security.Cryptography;
using ImagePipeline.Aws;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Functions.Handlers;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Http;
using ImagePipeline.Imaging;

namespace ImagePipeline.Functions.Hosting;

/// <summary>
/// The composition root, run once per cold start: the SDK clients (singletons for the life of the execution
/// environment, so connections are reused across invocations), the adapters, Core's services and the handler, then one
/// read per service the handler calls, so its connections are open before the first event arrives.
/// </summary>
internal static class FunctionComposition
{
    /// <summary>Owner of every image on an anonymous deployment (with sign-in: the access token's subject).</summary>
    public const string AnonymousOwner = "anonymous";

    /// <summary>Composes the function <paramref name="settings"/> name and opens its connections (<see cref="ConnectionPriming"/>).</summary>
    public static async Task<IFunctionHandler> CreateAsync(FunctionSettings settings, JsonLogger log, MetricsWriter metrics, TimeProvider clock, TimeSpan primingBudget)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.CursorKey is null && settings.CursorKeyParameter is { } parameter)
        {
            // Once per cold start, from Parameter Store's view of the stack's secret: never in the environment.
            settings = settings with { CursorKey = FunctionSettings.CursorKeyOf(await CursorKeys.ReadAsync(AwsClients.CreateSsm(), parameter, CancellationToken.None).ConfigureAwait(false)) };
        }

        var (handler, primers) = Compose(settings, log, metrics, clock);
        await ConnectionPriming.RunAsync(primers, log, primingBudget).ConfigureAwait(false);
        return handler;
    }

    private static (IFunctionHandler Handler, Primer[] Primers) Compose(FunctionSettings settings, JsonLogger log, MetricsWriter metrics, TimeProvider clock)
    {
        var store = new S3ObjectStore(
            AwsClients.CreateS3(settings.S3PathStyle),
            new S3StoreOptions { OriginalsBucket = settings.OriginalsBucket, DerivedBucket = settings.DerivedBucket },
            clock);
        var catalog = new DynamoImageCatalog(AwsClients.CreateDynamoDb(), settings.Table);
        var options = new PipelineOptions
        {
            MaxAttempts = settings.MaxReceives,
            ExposeGps = settings.ExposeGps,

            // The stage functions sign no cursors, but the options demand a key: a throw-away one serves.
            CursorKey = settings.CursorKey ?? RandomNumberGenerator.GetBytes(32),
        };
        options.Validate();

        if (settings.Handler == "deadletter")
        {
            // Only records failures: no image is decoded here, so libvips is not even loaded.
            var stages = new Dictionary<string, Stage>(StringComparer.Ordinal)
            {
                [settings.ResizeDeadLetterQueueArn!] = Stage.Resize,
                [settings.ThumbnailDeadLetterQueueArn!] = Stage.Thumbnail,
            };
            if (stages.Count != 2)
            {
                throw new FunctionConfigurationException(
                    $"{PipelineEnvironment.ResizeDeadLetterQueueArn} and {PipelineEnvironment.ThumbnailDeadLetterQueueArn} name the same queue; each stage needs its own.");
            }

            log.Information(
                "Function {Function} initialised: dead letters of {ResizeDeadLetterQueue} (resize) and {ThumbnailDeadLetterQueue} (thumbnail), after {MaxReceives} receives",
                settings.Handler, settings.ResizeDeadLetterQueueArn, settings.ThumbnailDeadLetterQueueArn, settings.MaxReceives);
            return (new DeadLetterFunction(new StageProcessor(catalog, store, NoImageEngine.Instance, options, clock), stages, settings.MaxReceives, log, metrics),
                [ConnectionPriming.Catalog(catalog)]);
        }

        var engine = new LibvipsImageEngine();
        log.Information(
            "Function {Function} initialised: libvips {Libvips} from {LibvipsSource}, formats {Formats}, max receives {MaxReceives}",
            settings.Handler, LibvipsImageEngine.LibvipsVersion, LibvipsImageEngine.LibvipsSource,
            string.Join(",", engine.DecodableFormats.Select(f => f.ToName())), settings.MaxReceives);

        if (settings.Handler == "api")
        {
            var queries = new ImageQueries(catalog, store, options, clock);
            var queue = new SqsStageQueue(AwsClients.CreateSqs(), settings.ResizeQueueUrl!, settings.ThumbnailQueueUrl!);
            var api = new ImageApi(
                new UploadService(catalog, store, engine.DecodableFormats, options, clock),
                queries,
                new DeleteService(catalog, store, options, clock),
                new ReprocessService(queries, catalog, queue, settings.OriginalsBucket, options, clock),
                settings.SignIn is null ? _ => AnonymousOwner : request => request.CallerSubject,
                engine.DecodableFormats,
                Version,
                options,
                (request, error) => log.Error(error, "Unhandled error serving {Method} {Path}", request.Method, request.Path),
                settings.SignIn);
            // The page, when the package carries it: a missing folder or index.html fails the init, not a visitor.
            var page = settings.WebRoot is { } root
                ? StaticPage.Load(Path.Combine(AppContext.BaseDirectory, root), settings.WebContentSecurityPolicy)
                : null;
            // Its first request reads the catalog; objects are only presigned, or read on rarer paths.
            return (new ApiFunction(api, page, log, metrics), [ConnectionPriming.Catalog(catalog)]);
        }

        if (!CatalogNames.TryParseStage(settings.Handler, out var stage))
        {
            throw new FunctionConfigurationException($"No stage is called '{settings.Handler}'.");
        }

        return (new StageFunction(stage, new StageProcessor(catalog, store, engine, options, clock), settings.MaxReceives, log, metrics, StageFunction.DefaultStartReserve),
            [ConnectionPriming.Catalog(catalog), ConnectionPriming.Originals(store)]);
    }

    /// <summary>The deadletter function's engine: it never decodes (it only records failures), so any call is a bug.</summary>
    private sealed class NoImageEngine : IImageEngine
    {
        public static readonly NoImageEngine Instance = new();

        public IReadOnlyList<ImageFormat> DecodableFormats => [];

        public ImageLimits Limits => ImageLimits.Default;

        public ImageInfo Probe(ReadOnlyMemory<byte> original) => throw NotHere();

        public RenditionSet Resize(ReadOnlyMemory<byte> original, RenditionRecipe recipe, CancellationToken cancellationToken = default) => throw NotHere();

        public ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default) => throw NotHere();

        public ProcessedImage Process(ReadOnlyMemory<byte> original, ImageRecipe recipe, CancellationToken cancellationToken = default) => throw NotHere();

        private static InvalidOperationException NotHere() => new("The deadletter function decodes no image.");
    }

    /// <summary>The informational version without the source-revision suffix.</summary>
    public static string Version { get; } =
        typeof(FunctionComposition).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
