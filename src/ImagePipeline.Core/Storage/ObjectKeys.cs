using System.Globalization;

namespace ImagePipeline.Core.Storage;

/// <summary>Object keys: a pure function of (imageId, recipe), so a retried stage overwrites rather than duplicates.</summary>
public static class ObjectKeys
{
    /// <summary>Prefix of originals in the uploads bucket; the only prefix that triggers processing.</summary>
    public const string OriginalsPrefix = "originals/";

    /// <summary><c>originals/{imageId}</c>.</summary>
    public static string Original(Guid imageId) => OriginalsPrefix + ImageIds.Format(imageId);

    /// <summary><c>renditions/{imageId}/r{version}/w{width}.webp</c>, named by the recipe width.</summary>
    public static string Rendition(Guid imageId, int recipeVersion, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"renditions/{ImageIds.Format(imageId)}/r{recipeVersion}/{name}.webp");

    /// <summary><c>thumbnails/{imageId}/r{version}/{size}.webp</c>.</summary>
    public static string Thumbnail(Guid imageId, int recipeVersion, int size) =>
        string.Create(CultureInfo.InvariantCulture, $"thumbnails/{ImageIds.Format(imageId)}/r{recipeVersion}/{size}.webp");

    /// <summary>Every derived prefix of an image, for deletion across recipe versions.</summary>
    public static IReadOnlyList<string> DerivedPrefixes(Guid imageId) =>
        [$"renditions/{ImageIds.Format(imageId)}/", $"thumbnails/{ImageIds.Format(imageId)}/"];

    /// <summary>The image id of an originals key, or false for any other key (which must then be ignored).</summary>
    public static bool TryParseOriginal(string key, out Guid imageId)
    {
        imageId = Guid.Empty;
        return key.StartsWith(OriginalsPrefix, StringComparison.Ordinal) && ImageIds.TryParse(key[OriginalsPrefix.Length..], out imageId);
    }
}
