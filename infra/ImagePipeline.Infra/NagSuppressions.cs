using Amazon.CDK;
using Constructs;

namespace ImagePipeline.Infra;

/// <summary>
/// Collects cdk-nag suppressions and writes them as the <c>cdk_nag</c> template metadata that cdk-nag reads (what its
/// <c>NagSuppressions.addResourceSuppressions</c> writes). The app needs no cdk-nag package: the checks run in the infra
/// tests, and each exception to them stays next to the resource it concerns, with its reason.
/// </summary>
public sealed class NagSuppressions
{
    private readonly Dictionary<string, (CfnResource Resource, List<Dictionary<string, object>> Rules)> _byPath = new(StringComparer.Ordinal);

    /// <summary>Suppresses <paramref name="ruleId"/> on the construct's resource (or on every resource below it).</summary>
    /// <param name="scope">The construct; its default child when it is a higher-level construct.</param>
    /// <param name="ruleId">A rule such as <c>AwsSolutions-IAM5</c>.</param>
    /// <param name="reason">Why the finding is accepted (cdk-nag requires at least 10 characters).</param>
    /// <param name="appliesTo">
    /// For rules with findings (IAM4, IAM5): the findings accepted, each exact or, when written <c>/…/</c>, a regular
    /// expression (logical ids carry a hash); null for every finding of the rule.
    /// </param>
    /// <param name="applyToChildren">Also every resource in the construct's subtree.</param>
    public void Add(IConstruct scope, string ruleId, string reason, IReadOnlyList<string>? appliesTo = null, bool applyToChildren = false)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (reason.Length < 10)
        {
            throw new ArgumentException("A suppression needs a reason of at least 10 characters.", nameof(reason));
        }

        var found = false;
        foreach (var target in applyToChildren ? scope.Node.FindAll() : [scope])
        {
            if ((target.Node.DefaultChild ?? target) is not CfnResource resource)
            {
                continue;
            }

            var rule = new Dictionary<string, object> { ["id"] = ruleId, ["reason"] = reason };
            if (appliesTo is not null)
            {
                rule["applies_to"] = appliesTo
                    .Select(a => a.Length > 2 && a.StartsWith('/') && a.EndsWith('/') ? (object)new Dictionary<string, object> { ["regex"] = a } : a)
                    .ToArray();
            }

            var path = resource.Node.Path;
            if (!_byPath.TryGetValue(path, out var entry))
            {
                entry = (resource, []);
                _byPath[path] = entry;
            }

            entry.Rules.Add(rule);
            found = true;
        }

        if (!found)
        {
            throw new ArgumentException($"'{scope.Node.Path}' holds no CloudFormation resource to suppress {ruleId} on.", nameof(scope));
        }
    }

    /// <summary>Writes every suppression into its resource's metadata; call once, after the last <see cref="Add"/>.</summary>
    public void Apply()
    {
        foreach (var (resource, rules) in _byPath.Values)
        {
            resource.AddMetadata("cdk_nag", new Dictionary<string, object> { ["rules_to_suppress"] = rules.ToArray() });
        }
    }
}
