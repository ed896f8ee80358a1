using ImagePipeline.Core.Services;

namespace ImagePipeline.Functions.Observability;

/// <summary>
/// The level a stage report is logged at, as the local host logs it: a user's file that cannot be processed is a
/// warning (nothing to fix on our side), a retry too, a final failure of ours an error, the rest information.
/// </summary>
internal static class StageLogLevels
{
    public static LogLevel Of(StageReport report) => report.Severity switch
    {
        StageSeverity.Routine => LogLevel.Information,
        StageSeverity.FileRejected or StageSeverity.Transient => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
