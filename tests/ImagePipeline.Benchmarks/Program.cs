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

var options = BenchmarkOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine("error: " + error);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 1;
}

return new Benchmark(options, Console.Out).Run();
