using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.Functions.Tests;

/// <summary>One symbol version an ELF file needs from a shared library, e.g. (libc.so.6, GLIBC_2.34).</summary>
internal sealed record VersionNeed(string Library, string Version);

/// <summary>
/// Reads the version needs (<c>.gnu.version_r</c>, SHT_GNU_verneed) of a 64-bit little-endian ELF file, what
/// <c>readelf -V</c> prints under "Version needs section", without needing binutils.
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>True when the file starts with the ELF magic.</summary>
    public static bool IsElf(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']);
    }

    /// <summary>The version needs of <paramref name="path"/> (none for a file without a verneed section).</summary>
    public static IReadOnlyList<VersionNeed> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 64 || data[0] != 0x7f || data[1] != 'E' || data[2] != 'L' || data[3] != 'F')
        {
            throw new InvalidDataException($"{path} is not an ELF file.");
        }

        if (data[4] != 2 || data[5] != 1)
        {
            throw new InvalidDataException($"{path} is not 64-bit little-endian ELF (class {data[4]}, data {data[5]}).");
        }

        var sectionOffset = checked((int)U64(data, 0x28));
        var sectionSize = U16(data, 0x3A);
        var sectionCount = U16(data, 0x3C);
        var needs = new List<VersionNeed>();
        for (var i = 0; i < sectionCount; i++)
        {
            var header = sectionOffset + (i * sectionSize);
            if (U32(data, header + 4) != ShtGnuVerneed)
            {
                continue;
            }

            var offset = checked((int)U64(data, header + 0x18));
            var link = (int)U32(data, header + 0x28);
            var entries = (int)U32(data, header + 0x2C);
            var strings = checked((int)U64(data, sectionOffset + (link * sectionSize) + 0x18));

            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                var count = U16(data, need + 2);
                var library = CString(data, strings + (int)U32(data, need + 4));

                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                var aux = need + (int)U32(data, need + 8);
                for (var a = 0; a < count; a++)
                {
                    needs.Add(new VersionNeed(library, CString(data, strings + (int)U32(data, aux + 8))));
                    aux += (int)U32(data, aux + 12);
                }

                need += (int)U32(data, need + 12);
            }
        }

        return needs;
    }

    /// <summary>The numeric part of a <c>GLIBC_2.34</c> style version, or null for another kind of version name.</summary>
    public static Version? GlibcVersion(string versionName) =>
        versionName.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(versionName["GLIBC_".Length..], out var version) ? version : null;

    private static ushort U16(byte[] data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset));

    private static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    private static ulong U64(byte[] data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));

    private static string CString(byte[] data, int offset)
    {
        var end = Array.IndexOf(data, (byte)0, offset);
        return Encoding.ASCII.GetString(data, offset, end - offset);
    }
}
