namespace ImagePipeline.Cli;

/// <summary>The CLI's exit codes, fixed by the design.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UsageOrConnection = 1;
    public const int SomeFailed = 2;
}
