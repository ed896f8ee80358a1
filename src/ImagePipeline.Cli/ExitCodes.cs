namespace ImagePipeline.Cli;

/// <summary>The CLI's exit codes, fixed by the design.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UsageOrConnection = 1;
    public const int SomeFailed = 2;

    /// <summary>Ctrl+C (SIGINT) or SIGTERM stopped a command that had not finished (not <c>watch</c>: that exits 0).</summary>
    public const int Interrupted = 130;
}
