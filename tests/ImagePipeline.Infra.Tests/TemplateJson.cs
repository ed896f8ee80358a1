using System.Text.Json.Nodes;

namespace ImagePipeline.Infra.Tests;

/// <summary>Small readers of CloudFormation JSON.</summary>
internal static class TemplateJson
{
    /// <summary>A value that may be a single item or an array, as a list.</summary>
    public static IReadOnlyList<JsonNode?> Many(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array],
        _ => [node],
    };

    public static IReadOnlyList<string> Strings(JsonNode? node) => [.. Many(node).Select(n => n!.GetValue<string>())];

    public static JsonObject GetAtt(string logicalId, string attribute) =>
        new() { ["Fn::GetAtt"] = new JsonArray(logicalId, attribute) };

    public static JsonObject Ref(string logicalId) => new() { ["Ref"] = logicalId };

    /// <summary><c>{Fn::Join: ["", [GetAtt(bucket.Arn), "/prefix*"]]}</c>: an object ARN pattern in a bucket.</summary>
    public static JsonObject ObjectsArn(string bucketId, string pattern) =>
        new() { ["Fn::Join"] = new JsonArray("", new JsonArray(GetAtt(bucketId, "Arn"), "/" + pattern)) };

    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    /// <summary>Whether any string anywhere inside <paramref name="node"/> satisfies <paramref name="predicate"/>.</summary>
    public static bool AnyString(JsonNode? node, Func<string, bool> predicate) => node switch
    {
        JsonObject o => o.Any(p => AnyString(p.Value, predicate)),
        JsonArray a => a.Any(n => AnyString(n, predicate)),
        JsonValue v when v.TryGetValue<string>(out var s) => predicate(s),
        _ => false,
    };

    /// <summary>Whether <paramref name="node"/> contains <paramref name="part"/> (deep equality) anywhere.</summary>
    public static bool Contains(JsonNode? node, JsonNode part) => JsonNode.DeepEquals(node, part) || node switch
    {
        JsonObject o => o.Any(p => Contains(p.Value, part)),
        JsonArray a => a.Any(n => Contains(n, part)),
        _ => false,
    };
}
