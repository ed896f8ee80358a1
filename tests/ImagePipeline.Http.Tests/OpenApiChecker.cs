using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImagePipeline.Http.Tests;

/// <summary>
/// Checks real responses against the served OpenAPI document: the status must be documented for the operation, the
/// media type must be the documented one, and the JSON body must satisfy the schema. The JSON Schema subset the
/// document uses is implemented here: $ref, type (with "null" in a type list), const, enum, required, properties,
/// additionalProperties, items, anyOf, oneOf, pattern, minLength, minimum, maximum, format date-time and uri.
/// </summary>
internal static class OpenApiChecker
{
    private static readonly JsonDocument Document = JsonDocument.Parse(OpenApiDocument.Utf8);

    public static JsonElement Root => Document.RootElement;

    /// <summary>Throws (fails the test) when <paramref name="response"/> is not what the document promises for <paramref name="request"/>.</summary>
    public static void Check(ApiRequest request, ApiResponse response)
    {
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        var errors = new List<string>();
        var operation = FindOperation(request.Path, request.Method);
        if (operation is null)
        {
            // Unknown route (404) or a method the path does not have (405): a plain problem.
            Assert.True(response.Status is 404 or 405, $"{request.Method} {request.Path} is not in the document but answered {response.Status}.");
            CheckProblem(response, errors);
        }
        else
        {
            var responses = operation.Value.GetProperty("responses");
            Assert.True(
                responses.TryGetProperty(response.Status.ToString(CultureInfo.InvariantCulture), out var documented),
                $"{request.Method} {request.Path} answered {response.Status}, which the document does not list.");
            documented = Resolve(documented);
            if (documented.TryGetProperty("headers", out var headers))
            {
                foreach (var header in headers.EnumerateObject())
                {
                    var definition = Resolve(header.Value);
                    if (definition.TryGetProperty("required", out var required) && required.GetBoolean())
                    {
                        Assert.True(response.Headers.ContainsKey(header.Name), $"Header {header.Name} is documented as required.");
                    }

                    if (response.Headers.TryGetValue(header.Name, out var value) && definition.TryGetProperty("schema", out var headerSchema))
                    {
                        // A header is text: "1" may stand for the integer 1.
                        using var parsed = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                            ? JsonDocument.Parse(value)
                            : JsonDocument.Parse(JsonSerializer.Serialize(value));
                        Validate(parsed.RootElement, headerSchema, $"header {header.Name}", errors);
                    }
                }
            }

            if (documented.TryGetProperty("content", out var content))
            {
                var mediaType = response.ContentType;
                Assert.NotNull(mediaType);
                Assert.True(content.TryGetProperty(mediaType, out var media), $"Content-Type {mediaType} is not documented for {response.Status}.");
                using var body = JsonDocument.Parse(response.Body);
                Validate(body.RootElement, media.GetProperty("schema"), "$", errors);
            }
            else
            {
                Assert.True(response.Body.IsEmpty, $"{response.Status} is documented without a body.");
            }
        }

        Assert.True(errors.Count == 0, $"{request.Method} {request.Path} → {response.Status} does not match the document:\n" + string.Join("\n", errors));
    }

    /// <summary>Validates an instance against a schema of the document; returns the violations.</summary>
    public static List<string> Validate(JsonElement instance, JsonElement schema)
    {
        var errors = new List<string>();
        Validate(instance, schema, "$", errors);
        return errors;
    }

    /// <summary>A schema of <c>components/schemas</c>.</summary>
    public static JsonElement Schema(string name) => Root.GetProperty("components").GetProperty("schemas").GetProperty(name);

    /// <summary>The operation of the path template that matches <paramref name="path"/>, or null.</summary>
    public static JsonElement? FindOperation(string path, string method)
    {
        var segments = path.Split('/');
        foreach (var template in Root.GetProperty("paths").EnumerateObject())
        {
            var parts = template.Name.Split('/');
            if (parts.Length == segments.Length
                && parts.Zip(segments).All(p => p.First.StartsWith('{') ? p.Second.Length > 0 : p.First == p.Second)
                && template.Value.TryGetProperty(method.ToLowerInvariant(), out var operation)
                && method == method.ToUpperInvariant())
            {
                return operation;
            }
        }

        return null;
    }

    /// <summary>Follows a local <c>$ref</c> (<c>#/a/b/c</c>).</summary>
    public static JsonElement Resolve(JsonElement element)
    {
        while (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$ref", out var reference))
        {
            element = Pointer(reference.GetString()!);
        }

        return element;
    }

    public static JsonElement Pointer(string reference)
    {
        Assert.StartsWith("#/", reference);
        var target = Root;
        foreach (var part in reference[2..].Split('/'))
        {
            Assert.True(target.TryGetProperty(part.Replace("~1", "/").Replace("~0", "~"), out target), $"Unresolvable $ref {reference}.");
        }

        return target;
    }

    private static void CheckProblem(ApiResponse response, List<string> errors)
    {
        Assert.Equal(ApiResponse.ProblemMediaType, response.ContentType);
        using var body = JsonDocument.Parse(response.Body);
        Validate(body.RootElement, Schema("Problem"), "$", errors);
    }

    private static void Validate(JsonElement instance, JsonElement schema, string at, List<string> errors)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(instance, Pointer(reference.GetString()!), at, errors);
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!allowed.Any(t => IsType(instance, t)))
            {
                errors.Add($"{at}: {instance.ValueKind} where the schema wants {string.Join(" or ", allowed)}");
                return;
            }
        }

        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(instance, constant))
        {
            errors.Add($"{at}: {instance} is not the constant {constant}");
        }

        if (schema.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => JsonElement.DeepEquals(instance, v)))
        {
            errors.Add($"{at}: {instance} is not one of {values}");
        }

        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(s => Validate(instance, s).Count == 0))
        {
            errors.Add($"{at}: matches none of anyOf: " + string.Join("; ", anyOf.EnumerateArray().SelectMany(s => Validate(instance, s))));
        }

        if (schema.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Count(s => Validate(instance, s).Count == 0) != 1)
        {
            errors.Add($"{at}: does not match exactly one of oneOf");
        }

        switch (instance.ValueKind)
        {
            case JsonValueKind.Object:
                ValidateObject(instance, schema, at, errors);
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out var items):
                var index = 0;
                foreach (var item in instance.EnumerateArray())
                {
                    Validate(item, items, $"{at}[{index++}]", errors);
                }

                break;
            case JsonValueKind.String:
                ValidateString(instance.GetString()!, schema, at, errors);
                break;
            case JsonValueKind.Number:
                var number = instance.GetDouble();
                if (schema.TryGetProperty("minimum", out var minimum) && number < minimum.GetDouble())
                {
                    errors.Add($"{at}: {number} < minimum {minimum}");
                }

                if (schema.TryGetProperty("maximum", out var maximum) && number > maximum.GetDouble())
                {
                    errors.Add($"{at}: {number} > maximum {maximum}");
                }

                break;
        }
    }

    private static void ValidateObject(JsonElement instance, JsonElement schema, string at, List<string> errors)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(n => n.GetString()!))
            {
                if (!instance.TryGetProperty(name, out _))
                {
                    errors.Add($"{at}: required property '{name}' is missing");
                }
            }
        }

        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        foreach (var member in instance.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(member.Name, out var propertySchema))
            {
                Validate(member.Value, propertySchema, $"{at}.{member.Name}", errors);
            }
            else if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    errors.Add($"{at}: property '{member.Name}' is not in the schema");
                }
                else
                {
                    Validate(member.Value, additional, $"{at}.{member.Name}", errors);
                }
            }
        }
    }

    private static void ValidateString(string text, JsonElement schema, string at, List<string> errors)
    {
        if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!))
        {
            errors.Add($"{at}: '{text}' does not match {pattern}");
        }

        if (schema.TryGetProperty("minLength", out var minLength) && text.Length < minLength.GetInt32())
        {
            errors.Add($"{at}: '{text}' is shorter than {minLength}");
        }

        if (schema.TryGetProperty("format", out var format))
        {
            var ok = format.GetString() switch
            {
                "date-time" => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "uri" => Uri.TryCreate(text, UriKind.Absolute, out _),
                _ => true,
            };
            if (!ok)
            {
                errors.Add($"{at}: '{text}' is not a {format}");
            }
        }
    }

    private static bool IsType(JsonElement instance, string type) => type switch
    {
        "object" => instance.ValueKind == JsonValueKind.Object,
        "array" => instance.ValueKind == JsonValueKind.Array,
        "string" => instance.ValueKind == JsonValueKind.String,
        "boolean" => instance.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => instance.ValueKind == JsonValueKind.Null,
        "number" => instance.ValueKind == JsonValueKind.Number,
        "integer" => instance.ValueKind == JsonValueKind.Number && instance.TryGetInt64(out _),
        _ => throw new InvalidOperationException($"Unknown schema type '{type}'."),
    };
}
