using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.Functions.Tests;

/// <summary>One symbol version an ELF file needs from a shared library, e.g. (libc.so.6, GLIBC_2.34).</summary>
internal sealed record VersionNeed(string Library, string Version);

/// <summary>
/// Reads what a 64-bit little-endian ELF file needs of the system, without binutils: its machine, its version needs
/// (<c>.gnu.version_r</c>, SHT_GNU_verneed: what <c>readelf -V</c> prints under "Version needs section") and its
/// library search path (<c>readelf -d</c>'s RPATH or RUNPATH).
/// </summary>
internal static class ElfFile
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtDynamic = 6;
    private const long DtRpath = 15;
    private const long DtRunpath = 29;

    /// <summary>True when the file starts with the ELF magic.</summary>
    public static bool IsElf(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return file.Read(magic) == 4 && magic.SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']);
    }

    /// <summary>The ELF header's <c>e_machine</c>: 62 for x86-64, 183 for AArch64.</summary>
    public static int Machine(string path) => U16(Load(path), 0x12);

    /// <summary>
    /// The library search path the file carries (DT_RPATH or DT_RUNPATH, split at colons; empty when it has none), and
    /// whether it is a DT_RUNPATH, which the loader reads after LD_LIBRARY_PATH (a DT_RPATH comes before it).
    /// </summary>
    public static IReadOnlyList<string> SearchPath(string path, out bool isRunPath)
    {
        var data = Load(path);
        var (sectionOffset, sectionSize, sectionCount) = SectionTable(data);
        isRunPath = false;
        for (var i = 0; i < sectionCount; i++)
        {
            var header = sectionOffset + (i * sectionSize);
            if (U32(data, header + 4) != ShtDynamic)
            {
                continue;
            }

            var offset = checked((int)U64(data, header + 0x18));
            var size = checked((int)U64(data, header + 0x20));
            var strings = checked((int)U64(data, sectionOffset + ((int)U32(data, header + 0x28) * sectionSize) + 0x18));

            // Elf64_Dyn: d_tag i64, d_val u64.
            for (var entry = offset; entry + 16 <= offset + size; entry += 16)
            {
                var tag = (long)U64(data, entry);
                if (tag is DtRpath or DtRunpath)
                {
                    isRunPath = tag == DtRunpath;
                    return CString(data, strings + checked((int)U64(data, entry + 8))).Split(':');
                }
            }
        }

        return [];
    }

    /// <summary>The version needs of <paramref name="path"/> (none for a file without a verneed section).</summary>
    public static IReadOnlyList<VersionNeed> VersionNeeds(string path)
    {
        var data = Load(path);
        var (sectionOffset, sectionSize, sectionCount) = SectionTable(data);
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

    private static byte[] Load(string path)
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

        return data;
    }

    private static (int Offset, int EntrySize, int Count) SectionTable(byte[] data) =>
        (checked((int)U64(data, 0x28)), U16(data, 0x3A), U16(data, 0x3C));

    private static ushort U16(byte[] data, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(offset));

    private static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    private static ulong U64(byte[] data, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(offset));

    private static string CString(byte[] data, int offset)
    {
        var end = Array.IndexOf(data, (byte)0, offset);
        return Encoding.ASCII.GetString(data, offset, end - offset);
    }
}
