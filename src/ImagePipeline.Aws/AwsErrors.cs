using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace ImagePipeline.Aws;

/// <summary>
/// Which AWS failures are worth retrying. The SDK has already retried these with backoff by the time they reach us,
/// so they surface as <see cref="Core.Storage.TransientStorageException"/> and the message goes back to SQS.
/// </summary>
internal static class AwsErrors
{
    // Throttling and server-side faults, by the error codes S3, DynamoDB and SQS send.
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestLimitExceededException",
        "InternalServerErrorException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionInProgressException",
        "KmsThrottled",
        "KmsThrottlingException",
    };

    /// <summary>
    /// True for throttling, 5xx, timeouts and broken connections; false for everything else, and for a cancellation
    /// the caller asked for (<paramref name="cancellationToken"/> cancelled).
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OperationCanceledException when cancellationToken.IsCancellationRequested:
                    return false;
                case AmazonServiceException service:
                    // The modelled exception types (ProvisionedThroughputExceededException…) carry their code in their name.
                    if ((service.ErrorCode is { } code && TransientCodes.Contains(code)) || TransientCodes.Contains(service.GetType().Name))
                    {
                        return true;
                    }

                    if (service.ErrorType == ErrorType.Receiver)
                    {
                        // The service's own fault, whatever its status.
                        return true;
                    }

                    if ((int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        return true;
                    }

                    if (service.StatusCode != 0)
                    {
                        // A definite answer from the service (4xx): retrying sends the same request to the same refusal.
                        return false;
                    }

                    break;
                case OperationCanceledException:   // an SDK or HttpClient timeout, not the caller's cancellation
                case TimeoutException:
                case HttpRequestException:
                case SocketException:
                case IOException:
                    return true;
            }
        }

        return false;
    }
}
