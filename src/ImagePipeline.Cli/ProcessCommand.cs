using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging;
using Spectre.Console;

namespace ImagePipeline.Cli;

/// <summary><c>imagepipeline process</c>: the default recipe on local files, no server.</summary>
internal static class ProcessCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Image files, or folders to search recursively.",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder that receives <name>/w320.webp …, thumbnail.webp and metadata.json per input.",
            Required = true,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON array of outcomes on stdout instead of text." };
        var parallel = new Option<int>("--parallel", "-p")
        {
            Description = "Images processed at once (default: the number of cores).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        parallel.Validators.Add(result =>
        {
            // Text that is not a number is the parser's error to report; only judge real numbers here.
            if (result.Tokens is [var token] && int.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out var value) && value < 1)
            {
                result.AddError("--parallel must be at least 1.");
            }
        });

        var command = new Command("process", "Run the default recipe (renditions, thumbnail, metadata) on local files.")
        {
            inputs, output, json, parallel,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(inputs)!,
            parse.GetValue(output)!,
            parse.GetValue(json),
            parse.GetValue(parallel),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string[] paths, string outDir, bool json, int parallel, CancellationToken cancellationToken)
    {
        var (files, missing, skipped) = InputExpander.Expand(paths);
        if (missing.Count > 0)
        {
            await Console.Error.WriteLineAsync("imagepipeline process: no such file or folder: " + string.Join(", ", missing));
            return ExitCodes.UsageOrConnection;
        }

        if (skipped > 0)
        {
            await Console.Error.WriteLineAsync(
                $"imagepipeline process: skipped {skipped} file(s) in folders that are hidden or have no image extension (name them explicitly to process them).");
        }

        if (files.Count == 0)
        {
            await Console.Error.WriteLineAsync("imagepipeline process: the inputs contain no image files.");
            return ExitCodes.UsageOrConnection;
        }

        LibvipsImageEngine engine;
        try
        {
            engine = new LibvipsImageEngine(new LibvipsEngineOptions
            {
                // Images run side by side already; one image's outputs then need no extra threads of their own.
                EncodeParallelism = Math.Max(1, Environment.ProcessorCount / Math.Min(parallel, files.Count)),
            });
        }
        catch (LibvipsNotFoundException e)
        {
            await Console.Error.WriteLineAsync("imagepipeline process: " + e.Message);
            return ExitCodes.UsageOrConnection;
        }

        Directory.CreateDirectory(outDir);
        var names = InputExpander.OutputNames(files);
        var outcomes = new ProcessOutcome[files.Count];
        var stopwatch = Stopwatch.StartNew();
        var interactive = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

        async Task RunAll(Action<int>? onDone)
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, files.Count),
                new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    outcomes[i] = await ProcessOneAsync(engine, files[i], Path.Combine(outDir, names[i]), ct);
                    if (!json && !interactive)
                    {
                        Report(outcomes[i]);
                    }

                    onDone?.Invoke(i);
                });
        }

        if (interactive)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"Processing {files.Count} image(s)", maxValue: files.Count);
                    await RunAll(_ => task.Increment(1));
                });
        }
        else
        {
            await RunAll(null);
        }

        var failed = outcomes.Count(o => o.Status != "processed");
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(outcomes.ToList(), CliJsonContext.Default.ListProcessOutcome));
        }
        else if (interactive)
        {
            foreach (var outcome in outcomes.Where(o => o.Error is not null))
            {
                Report(outcome);
            }
        }

        var summary = $"Processed {files.Count - failed} of {files.Count} image(s) in {stopwatch.Elapsed.TotalSeconds:0.0} s" +
            (failed > 0 ? $"; {failed} failed." : ".");
        await Console.Error.WriteLineAsync(summary);
        return failed == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }

    private static void Report(ProcessOutcome outcome)
    {
        if (outcome.Error is { } error)
        {
            Console.Error.WriteLine($"failed    {outcome.Input}: {error.Code}: {error.Message}");
        }
        else
        {
            Console.Out.WriteLine($"processed {outcome.Input} -> {outcome.Output}");
        }
    }

    internal static async Task<ProcessOutcome> ProcessOneAsync(IImageEngine engine, string input, string outputDir, CancellationToken cancellationToken)
    {
        try
        {
            // The byte limit is judged from the file's size before it is read, as the pipeline judges an event's size.
            engine.Limits.EnsureBytesAllowed(new FileInfo(input).Length);
            var original = await File.ReadAllBytesAsync(input, cancellationToken);
            var result = engine.Process(original, ImageRecipe.Default, cancellationToken);
            await WriteOutputsAsync(input, outputDir, result, cancellationToken);
            return new ProcessOutcome(input, "processed", outputDir, null);
        }
        catch (ImageProcessingException e)
        {
            return new ProcessOutcome(input, "failed", null, new ErrorInfo(e.Code.ToCode(), e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ProcessOutcome(input, "failed", null, new ErrorInfo(ImageErrorCode.Internal.ToCode(), e.Message));
        }
    }

    private static async Task WriteOutputsAsync(string input, string outputDir, ProcessedImage result, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDir);
        var renditions = new List<RenditionFile>();
        foreach (var rendition in result.Renditions)
        {
            var file = rendition.Name + ".webp";
            await File.WriteAllBytesAsync(Path.Combine(outputDir, file), rendition.Image.Data, cancellationToken);
            renditions.Add(new RenditionFile(rendition.Name, rendition.Image.Width, rendition.Image.Height, rendition.Image.Format, rendition.Image.Bytes, file));
        }

        const string thumbnailFile = "thumbnail.webp";
        var thumbnail = result.Thumbnail;
        await File.WriteAllBytesAsync(Path.Combine(outputDir, thumbnailFile), thumbnail.Data, cancellationToken);

        var source = result.Source;
        var metadata = new ProcessMetadata(
            input,
            new OriginalInfo(source.Format.ToName(), source.Width, source.Height, source.Bytes),
            source.Metadata,
            renditions,
            new ThumbnailFile(thumbnail.Width, thumbnail.Height, thumbnail.Format, thumbnail.Bytes, thumbnailFile));
        await File.WriteAllTextAsync(
            Path.Combine(outputDir, "metadata.json"),
            JsonSerializer.Serialize(metadata, CliJsonContext.Default.ProcessMetadata),
            cancellationToken);
    }
}
