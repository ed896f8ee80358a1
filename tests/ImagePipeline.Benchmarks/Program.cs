using ImagePipeline.Benchmarks;

// dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- [--runs N] [--out DIR] [--sizes 24,12] [--check-outputs] [--breakdown]
if (args is ["-h" or "--help", ..])
{
    Console.WriteLine(BenchmarkOptions.Usage);
    return 0;
}

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
if (args is ["pipeline", .. var rest])
{
    if (rest.Any(a => a is "-h" or "--help"))
    {
        Console.WriteLine(PipelineModeOptions.Usage);
        return 0;
    }

    var pipeline = PipelineModeOptions.Parse(rest, out var pipelineError);
    if (pipeline is null)
    {
        Console.Error.WriteLine("error: " + pipelineError);
        Console.Error.WriteLine(PipelineModeOptions.Usage);
        return 1;
    }

    return await new PipelineBenchmark(pipeline, Console.Out).RunAsync();
}

// dotnet run -c Release --project tests/ImagePipeline.Benchmarks -- lambda [--runs 3] [--warm 5] [--package DIR] ...
if (args is ["lambda", .. var lambdaArgs])
{
    if (lambdaArgs.Any(a => a is "-h" or "--help"))
    {
        Console.WriteLine(LambdaModeOptions.Usage);
        return 0;
    }

    var lambda = LambdaModeOptions.Parse(lambdaArgs, out var lambdaError);
    if (lambda is null)
    {
        Console.Error.WriteLine("error: " + lambdaError);
        Console.Error.WriteLine(LambdaModeOptions.Usage);
        return 1;
    }

    return await new LambdaBenchmark(lambda, Console.Out).RunAsync();
}

var options = BenchmarkOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine("error: " + error);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 1;
}

return new Benchmark(options, Console.Out).Run();
