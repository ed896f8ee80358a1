namespace ImagePipeline.Functions.Tests;

/// <summary>The shared golden event files (tests/events), copied beside the tests.</summary>
internal static class Golden
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", name));

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "events", name));
}
