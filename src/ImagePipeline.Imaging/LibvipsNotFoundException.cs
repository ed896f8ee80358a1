namespace ImagePipeline.Imaging;

/// <summary>No usable libvips was found, or not the one that was meant; the message says which and why.</summary>
public sealed class LibvipsNotFoundException(string message) : Exception(message);
