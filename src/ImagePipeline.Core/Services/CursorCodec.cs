using System.Buffers.Binary;
using System.Security.Cryptography;
using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Core.Services;

/// <summary>
/// Opaque list cursors: the position (createdAt ticks, id) and an HMAC-SHA256 tag, base64url. A forged, truncated or
/// garbled cursor fails verification and is a 400, never a storage lookup.
/// </summary>
public sealed class CursorCodec(byte[] key)
{
    private const int PayloadLength = 8 + 16, TagLength = 16;

    /// <summary>Encodes a position.</summary>
    public string Encode(CatalogPosition position)
    {
        var buffer = new byte[PayloadLength + TagLength];
        BinaryPrimitives.WriteInt64BigEndian(buffer, position.CreatedAt.UtcTicks);
        position.Id.TryWriteBytes(buffer.AsSpan(8, 16), bigEndian: true, out _);
        HMACSHA256.HashData(key, buffer.AsSpan(0, PayloadLength)).AsSpan(0, TagLength).CopyTo(buffer.AsSpan(PayloadLength));
        return Convert.ToBase64String(buffer).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Decodes a cursor, or false when it is not one we issued.</summary>
    public bool TryDecode(string? cursor, out CatalogPosition position)
    {
        position = default!;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 64)
        {
            return false;
        }

        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(base64, buffer, out var length) || length != PayloadLength + TagLength)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(key, buffer.AsSpan(0, PayloadLength)).AsSpan(0, TagLength);
        if (!CryptographicOperations.FixedTimeEquals(expected, buffer.AsSpan(PayloadLength, TagLength)))
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(buffer);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        position = new CatalogPosition(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(buffer.AsSpan(8, 16), bigEndian: true));
        return true;
    }
}
