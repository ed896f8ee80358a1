using ImagePipeline.Benchmarks;

// dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- [--runs N] [--out DIR] [--sizes 24,12] [--check-outputs] [--breakdown]
if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("error: the benchmark uses posix_spawnp, wait4 and /proc, so it runs on Linux only.");
    return 1;
}

if (args is ["--child", ..])
{
    return ChildMode.Run(args[1..]);
}

// dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- pipeline [--images 200] [--size 4000x3000] [--records 10000] ...
if (args is ["pipeline", .. var pipelineArgs])
{
    return await RunAsync(pipelineArgs, PipelineModeOptions.Usage, PipelineModeOptions.Parse, o => new PipelineBenchmark(o, Console.Out).RunAsync());
}

// dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- lambda [--runs 3] [--warm 5] [--aot-package DIR] [--readytorun-package DIR] ...
if (args is ["lambda", .. var lambdaArgs])
{
    return await RunAsync(lambdaArgs, LambdaModeOptions.Usage, LambdaModeOptions.Parse, o => new LambdaBenchmark(o, Console.Out).RunAsync());
}

return await RunAsync(args, BenchmarkOptions.Usage, BenchmarkOptions.Parse, o => Task.FromResult(new Benchmark(o, Console.Out).Run()));

// One shape for every mode: help, parse (usage on error, exit 1), run.
static async Task<int> RunAsync<T>(string[] args, string usage, Parser<T> parse, Func<T, Task<int>> run)
    where T : class
{
    if (args.Any(a => a is "-h" or "--help"))
    {
        Console.WriteLine(usage);
        return 0;
    }

    var options = parse(args, out var error);
    if (options is null)
    {
        Console.Error.WriteLine("error: " + error);
        Console.Error.WriteLine(usage);
        return 1;
    }

    return await run(options);
}

/// <summary>The options parsers' shape: the options, or null and why.</summary>
internal delegate T? Parser<T>(IReadOnlyList<string> args, out string? error)
    where T : class;
