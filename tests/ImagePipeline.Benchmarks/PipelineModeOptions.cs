using System.Globalization;

namespace ImagePipeline.Benchmarks;

/// <summary>The command line of <c>pipeline</c> mode: the offline CLI against the local host, end to end.</summary>
/// <param name="Images">Generated JPEGs processed by the CLI and uploaded to the host at once (the burst).</param>
/// <param name="LatencyImages">Photos taken one at a time through the CLI and the host (0 skips that phase).</param>
/// <param name="Size">Their size.</param>
/// <param name="Records">Catalog records made for the list-latency measurement (0 skips it).</param>
/// <param name="ListRequests">Measured sequential <c>GET /v1/images?limit=50</c> requests.</param>
/// <param name="OutputDirectory">Inputs, CLI outputs and logs.</param>
/// <param name="Parallel">Requests the client has in flight at once (uploads, record creation).</param>
/// <param name="HostConcurrency">The host's <c>--concurrency</c>; null keeps the host's default.</param>
/// <param name="PollMs">Interval between sweeps of the image list during the burst (statuses; completion comes from the host log).</param>
internal sealed record PipelineModeOptions(
    int Images, int LatencyImages, InputSize Size, int Records, int ListRequests, string OutputDirectory, int Parallel, int? HostConcurrency, int PollMs)
{
    public const string Usage = """
        usage: ImagePipeline.Benchmarks pipeline [--images N] [--latency-images N] [--size WxH] [--records N]
                                                 [--list-requests N] [--parallel N] [--host-concurrency N] [--poll-ms N]
                                                 [--out DIR]

          Measures in one run: (1) one photo at a time: `imagepipeline process PHOTO` against the local host
          (ImagePipeline.Local, a child process with a fresh data dir on a free loopback port) taking the same photo
          from its PUT to ready, interleaved photo by photo, median and max; (2) `imagepipeline process` on N
          generated JPEGs at once (the burst reference); (3) a fresh host taking the same N images uploaded at once
          through POST /v1/uploads + PUT until every one is ready, with its peak RSS; and (4) the latency of
          GET /v1/images?limit=50 over a catalog of --records records on another fresh host. An image is ready when
          the host has logged both of its stage results (it logs them after the catalog write; no poll interval in
          the figures), confirmed through GET /v1/images/{id} (1) or the list sweeps (3).

          --images N            images for (2) and (3) (default 200)
          --latency-images N    photos for (1), one at a time through each (default 20; 0 skips (1))
          --size WxH            their size: 12 (4000x3000), 24 (6000x4000) or WIDTHxHEIGHT (default 4000x3000);
                                one JPEG is generated with SampleImageSet.LargeJpeg and copied N times under
                                different names into DIR/inputs-WxH/ (reused when present)
          --records N           catalog records for (4), made with POST /v1/uploads (default 10000; 0 skips (4))
          --list-requests N     measured sequential list requests, half first page, half deeper pages (default 500)
          --parallel N          client requests in flight at once for uploads and record creation (default 16)
          --host-concurrency N  passed to the host as --concurrency (default: the host's own default, the cores)
          --poll-ms N           how often (3) sweeps the image list for statuses (default 1000; completion times
                                come from the host log, and a sweep runs at once when the log says all are done)
          --out DIR             default ./artifacts/benchmark/pipeline

        The CLI and the host are started from their build outputs next to this program's (artifacts/bin/<project>/<config>/),
        which building this project builds. Exit code: 0 when the report was printed (whatever the targets say),
        1 on a usage error or when the CLI or host binaries are missing.
        """;

    public static PipelineModeOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var images = 200;
        var latencyImages = 20;
        var size = BenchmarkOptions.ParseSize("12")!;
        var records = 10_000;
        var listRequests = 500;
        var output = Path.Combine("artifacts", "benchmark", "pipeline");
        var parallel = 16;
        int? hostConcurrency = null;
        var pollMs = 1000;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string? Value()
            {
                return i + 1 < args.Count ? args[++i] : null;
            }

            bool Number(int min, int max, out int value)
            {
                if (int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
                {
                    return true;
                }

                return false;
            }

            string Range(int min, int max) => $"{name} needs a whole number from {min} to {max}.";

            switch (name)
            {
                case "--images":
                    if (!Number(1, 100_000, out images))
                    {
                        error = Range(1, 100_000);
                        return null;
                    }

                    break;
                case "--latency-images":
                    if (!Number(0, 10_000, out latencyImages))
                    {
                        error = Range(0, 10_000);
                        return null;
                    }

                    break;
                case "--size":
                    var parsed = BenchmarkOptions.ParseSize(Value() ?? "");
                    if (parsed is null)
                    {
                        error = "--size needs 12, 24 or WIDTHxHEIGHT (16 to 20000 each).";
                        return null;
                    }

                    size = parsed;
                    break;
                case "--records":
                    if (!Number(0, 1_000_000, out records))
                    {
                        error = Range(0, 1_000_000);
                        return null;
                    }

                    break;
                case "--list-requests":
                    if (!Number(1, 100_000, out listRequests))
                    {
                        error = Range(1, 100_000);
                        return null;
                    }

                    break;
                case "--parallel":
                    if (!Number(1, 256, out parallel))
                    {
                        error = Range(1, 256);
                        return null;
                    }

                    break;
                case "--host-concurrency":
                    if (!Number(1, 256, out var concurrency))
                    {
                        error = Range(1, 256);
                        return null;
                    }

                    hostConcurrency = concurrency;
                    break;
                case "--poll-ms":
                    if (!Number(10, 5000, out pollMs))
                    {
                        error = Range(10, 5000);
                        return null;
                    }

                    break;
                case "--out":
                    var directory = Value();
                    if (string.IsNullOrWhiteSpace(directory))
                    {
                        error = "--out needs a directory.";
                        return null;
                    }

                    output = directory;
                    break;
                default:
                    error = $"unknown argument '{name}'.";
                    return null;
            }
        }

        error = null;
        return new PipelineModeOptions(images, latencyImages, size, records, listRequests, Path.GetFullPath(output), parallel, hostConcurrency, pollMs);
    }
}
