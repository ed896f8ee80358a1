using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.SQS;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;

namespace ImagePipeline.Infra;

/// <summary>
/// The alarms (no actions: subscribe what you use): each parking queue's depth, the deadletter function's
/// <c>DeadLettersRecorded</c> metric, and every function's errors and throttles.
/// </summary>
internal static class PipelineAlarms
{
    public static void Add(StackScope scope, IReadOnlyList<LambdaFunction> functions, IReadOnlyList<Queue> parkingQueues)
    {
        var stack = scope.Stack;

        // The dead-letter queues are drained by the deadletter function, so their depth means nothing; what it could not
        // record waits in the parking queues.
        foreach (var parking in parkingQueues)
        {
            _ = parking.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Period = Duration.Minutes(1) })
                .CreateAlarm(stack, parking.Node.Id + "Depth", new CreateAlarmOptions
                {
                    AlarmDescription = "Messages in a parking queue: the deadletter function could not record a dead-lettered event " +
                        "after its receives; the image may still show processing. Inspect the message and its logs.",
                    Threshold = 0,
                    ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                    EvaluationPeriods = 1,
                    TreatMissingData = TreatMissingData.NOT_BREACHING,
                });
        }

        // The deadletter function's EMF metric: a stage crashed, was killed or timed out on every receive of an event.
        _ = new Metric(new MetricProps
        {
            Namespace = ImagePipelineStack.MetricsNamespace,
            MetricName = ImagePipelineStack.DeadLettersRecordedMetric,
            DimensionsMap = new Dictionary<string, string> { ["Function"] = ImagePipelineStack.DeadLetterHandler },
            Statistic = "Sum",
            Period = Duration.Minutes(5),
        }).CreateAlarm(stack, "DeadLettersRecorded", new CreateAlarmOptions
        {
            AlarmDescription = "The deadletter function recorded a stage failed/internal: the stage crashed, ran out of memory or " +
                "timed out on every receive of an image's event.",
            Threshold = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });

        foreach (var function in functions)
        {
            var options = new MetricOptions { Period = Duration.Minutes(5), Statistic = "Sum" };
            _ = function.MetricErrors(options).CreateAlarm(stack, function.Node.Id + "Errors", new CreateAlarmOptions
            {
                AlarmDescription = $"The {function.Node.Id} function failed invocations (crashes or timeouts, not image errors).",
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
            });
            _ = function.MetricThrottles(options).CreateAlarm(stack, function.Node.Id + "Throttles", new CreateAlarmOptions
            {
                AlarmDescription = $"The {function.Node.Id} function was throttled (account or reserved concurrency reached).",
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
            });
        }
    }
}
