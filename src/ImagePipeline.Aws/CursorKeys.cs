using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;

namespace ImagePipeline.Aws;

/// <summary>
/// Reads a secret setting by reference from SSM Parameter Store — for the list-cursor key, Parameter Store's view of the
/// stack's Secrets Manager secret (<c>/aws/reference/secretsmanager/NAME</c>) — so its value is never in a template or
/// an environment variable.
/// </summary>
public static class CursorKeys
{
    /// <summary>The parameter's decrypted value; a missing parameter or a refusal says which one.</summary>
    public static async Task<string> ReadAsync(IAmazonSimpleSystemsManagement ssm, string parameterName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ssm);
        ArgumentException.ThrowIfNullOrWhiteSpace(parameterName);
        try
        {
            var response = await ssm.GetParameterAsync(new GetParameterRequest { Name = parameterName, WithDecryption = true }, cancellationToken).ConfigureAwait(false);
            return response.Parameter?.Value is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"The parameter {parameterName} is empty.");
        }
        catch (ParameterNotFoundException e)
        {
            throw new InvalidOperationException($"The parameter {parameterName} does not exist (or its secret does not).", e);
        }
    }
}
