using System.Globalization;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Local;

/// <summary>The local host's settings, from the command line (<c>--urls</c>, <c>--data-dir</c>…) or environment.</summary>
internal sealed record LocalSettings(Uri Url, string DataDirectory, ImageLimits Limits, int Concurrency, int MaxAttempts)
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultDataDirectory = ".imagepipeline";

    public static LocalSettings From(IConfiguration configuration)
    {
        var urlText = (configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries)[0];
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Port == 0)
        {
            throw new InvalidOperationException($"--urls must be an absolute http(s) URL with a port, e.g. {DefaultUrl}; got '{urlText}'.");
        }

        var limits = ImageLimits.Default with
        {
            MaxBytes = Number(configuration, "max-bytes", ImageLimits.Default.MaxBytes),
            MaxPixels = Number(configuration, "max-pixels", ImageLimits.Default.MaxPixels),
        };
        limits.Validate();
        var concurrency = (int)Number(configuration, "concurrency", Environment.ProcessorCount);
        var attempts = (int)Number(configuration, "max-attempts", 5);
        if (concurrency < 1 || attempts < 1)
        {
            throw new InvalidOperationException("--concurrency and --max-attempts must be at least 1.");
        }

        var dataDirectory = Path.GetFullPath(configuration["data-dir"] ?? DefaultDataDirectory);
        return new LocalSettings(new Uri(url.GetLeftPart(UriPartial.Authority)), dataDirectory, limits, concurrency, attempts);
    }

    private static long Number(IConfiguration configuration, string name, long fallback)
    {
        var text = configuration[name];
        return text is null ? fallback
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
            : throw new InvalidOperationException($"--{name} must be a whole number; got '{text}'.");
    }
}
