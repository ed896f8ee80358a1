using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>Readers of the IAM statements of a synthesized template, wherever they are (role, managed or bucket policies).</summary>
internal static class PolicyStatements
{
    /// <summary>Every Allow statement of the template (role, managed and bucket policies) whose actions cover <paramref name="action"/>.</summary>
    public static IReadOnlyList<(string PolicyId, JsonNode Statement)> StatementsCovering(Synthesized stack, string action)
    {
        var found = new List<(string, JsonNode)>();
        foreach (var (id, resource) in stack.Resources.Select(r => (r.Key, r.Value!.AsObject())))
        {
            var properties = resource["Properties"];
            IEnumerable<JsonNode?> documents = (string?)resource["Type"] switch
            {
                "AWS::IAM::Policy" or "AWS::IAM::ManagedPolicy" or "AWS::S3::BucketPolicy" => [properties!["PolicyDocument"]],
                "AWS::IAM::Role" => Many(properties!["Policies"]).Select(p => p!["PolicyDocument"]),
                _ => [],
            };
            foreach (var statement in documents.SelectMany(d => Many(d!["Statement"])).Select(st => st!))
            {
                // An Allow with NotAction would grant everything it does not name: none may exist.
                Assert.False((string?)statement["Effect"] == "Allow" && statement["NotAction"] is not null, $"{id}: Allow with NotAction");
                if ((string?)statement["Effect"] == "Allow" && Strings(statement["Action"]).Any(a => Covers(a, action)))
                {
                    found.Add((id, statement));
                }
            }
        }

        return found;
    }

    /// <summary>Whether an IAM action pattern (<c>*</c> and <c>?</c> wildcards, case-insensitive) matches <paramref name="action"/>.</summary>
    public static bool Covers(string pattern, string action) =>
        Regex.IsMatch(action,
            "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Whether a statement names the bucket (its ARN or its name) in a resource.</summary>
    public static bool Mentions(JsonNode statement, string bucketId) =>
        Many(statement["Resource"]).Any(r => Contains(r, GetAtt(bucketId, "Arn")) || Contains(r, Ref(bucketId)));

    /// <summary>Whether a resource is <c>*</c> or a wildcard over every bucket (<c>arn:…:s3:::*</c>), which would cover any bucket.</summary>
    public static bool AnyResourceIsStar(JsonNode statement) =>
        Many(statement["Resource"]).Any(r => AnyString(r, text => text == "*" || text.Contains("s3:::*", StringComparison.Ordinal)));
}
