namespace ImagePipeline.Functions.Events;

/// <summary>
/// An API Gateway HTTP API request in payload format 2.0; a Lambda function URL sends the same shape. Header names are
/// lower case, repeated headers arrive joined with commas, and cookies come separately.
/// </summary>
internal sealed record HttpApiRequest(
    string? Version,
    string? RouteKey,
    string? RawPath,
    string? RawQueryString,
    IReadOnlyList<string>? Cookies,
    IReadOnlyDictionary<string, string>? Headers,
    IReadOnlyDictionary<string, string>? QueryStringParameters,
    HttpApiRequestContext? RequestContext,
    string? Body,
    bool IsBase64Encoded);

/// <summary>The request context: who, where, and the method.</summary>
internal sealed record HttpApiRequestContext(
    string? AccountId,
    string? ApiId,
    string? DomainName,
    string? RequestId,
    string? Stage,
    long? TimeEpoch,
    HttpApiRequestHttp? Http,
    HttpApiAuthorizer? Authorizer);

/// <summary>What the HTTP API's authorizer established; absent on routes without one.</summary>
internal sealed record HttpApiAuthorizer(HttpApiJwt? Jwt);

/// <summary>The JWT authorizer's result: the validated token's claims (values as API Gateway renders them) and scopes.</summary>
internal sealed record HttpApiJwt(IReadOnlyDictionary<string, System.Text.Json.JsonElement>? Claims, IReadOnlyList<string>? Scopes);

/// <summary>The HTTP facts of the request.</summary>
internal sealed record HttpApiRequestHttp(string? Method, string? Path, string? Protocol, string? SourceIp, string? UserAgent);

/// <summary>The response in payload format 2.0: text bodies as is, binary ones in base64.</summary>
internal sealed record HttpApiResponse(
    int StatusCode,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyList<string>? Cookies,
    string Body,
    bool IsBase64Encoded);
