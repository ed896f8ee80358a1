using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Core.Services;

/// <summary>Why a client request cannot be served; the HTTP layer turns each into a status and a problem detail.</summary>
public enum RequestProblem
{
    /// <summary>Malformed or invalid input (400).</summary>
    Invalid,
    /// <summary>No such image, or not any more (404).</summary>
    NotFound,
    /// <summary>The image is not in a state that has this (409, with its status).</summary>
    NotReady,
    /// <summary>Over a size limit (413).</summary>
    TooLarge,
    /// <summary>A media type that is not accepted or not decodable here (415).</summary>
    UnsupportedMediaType,
}

/// <summary>A client request that cannot be served, with a message fit for a problem detail.</summary>
public sealed class PipelineRequestException(RequestProblem problem, string title, string detail, ImageStatus? imageStatus = null)
    : Exception(detail)
{
    /// <summary>The kind of problem.</summary>
    public RequestProblem Problem { get; } = problem;

    /// <summary>A short, stable summary of the problem type.</summary>
    public string Title { get; } = title;

    /// <summary>The image's status, where it explains the problem.</summary>
    public ImageStatus? ImageStatus { get; } = imageStatus;
}
