using System.Buffers.Binary;
using System.Text;

namespace ImagePipeline.TestImages;

/// <summary>Camera facts to embed in a generated JPEG.</summary>
public sealed record CameraExif(
    string Make,
    string Model,
    string? LensModel,
    DateTime TakenAt,
    (uint Numerator, uint Denominator) ExposureTime,
    (uint Numerator, uint Denominator) FNumber,
    ushort Iso,
    (uint Numerator, uint Denominator) FocalLength,
    (double Latitude, double Longitude, double Altitude)? Gps);

/// <summary>
/// Writes a little-endian EXIF (TIFF) block: IFD0 → Exif sub-IFD → GPS IFD. Written by hand so the samples carry
/// exactly known values, independent of which libvips build writes the JPEG around them.
/// </summary>
public static class ExifBuilder
{
    private const ushort Ascii = 2, Short = 3, Long = 4, Rational = 5, Byte = 1;

    public static byte[] Build(CameraExif exif, int orientation)
    {
        var ifd0 = new List<Entry>
        {
            Text(0x010F, exif.Make),
            Text(0x0110, exif.Model),
            new(0x0112, Short, 1, U16((ushort)orientation)),
            Text(0x0132, exif.TakenAt.ToString("yyyy:MM:dd HH:mm:ss")),
        };
        var sub = new List<Entry>
        {
            Rationals(0x829A, exif.ExposureTime),
            Rationals(0x829D, exif.FNumber),
            new(0x8827, Short, 1, U16(exif.Iso)),
            Text(0x9003, exif.TakenAt.ToString("yyyy:MM:dd HH:mm:ss")),
            Rationals(0x920A, exif.FocalLength),
        };
        if (exif.LensModel is { } lens)
        {
            sub.Add(Text(0xA434, lens));
        }

        List<Entry>? gps = null;
        if (exif.Gps is { } g)
        {
            gps =
            [
                new(0x0000, Byte, 4, [2, 3, 0, 0]),
                Text(0x0001, g.Latitude >= 0 ? "N" : "S"),
                Rationals(0x0002, Dms(Math.Abs(g.Latitude))),
                Text(0x0003, g.Longitude >= 0 ? "E" : "W"),
                Rationals(0x0004, Dms(Math.Abs(g.Longitude))),
                new(0x0005, Byte, 1, [g.Altitude < 0 ? (byte)1 : (byte)0]),
                Rationals(0x0006, ((uint)Math.Round(Math.Abs(g.Altitude) * 100), 100u)),
            ];
        }

        // Pointers to the sub-IFDs are entries of IFD0 whose values depend on the layout: size everything first.
        ifd0.Add(new Entry(0x8769, Long, 1, new byte[4]));
        if (gps is not null)
        {
            ifd0.Add(new Entry(0x8825, Long, 1, new byte[4]));
        }

        var ifd0Offset = 8;
        var subOffset = ifd0Offset + Size(ifd0);
        var gpsOffset = subOffset + Size(sub);
        ifd0[ifd0.FindIndex(e => e.Tag == 0x8769)] = new Entry(0x8769, Long, 1, U32((uint)subOffset));
        if (gps is not null)
        {
            ifd0[ifd0.FindIndex(e => e.Tag == 0x8825)] = new Entry(0x8825, Long, 1, U32((uint)gpsOffset));
        }

        var tiff = new List<byte>();
        tiff.AddRange("II"u8.ToArray());
        tiff.AddRange(U16(42));
        tiff.AddRange(U32((uint)ifd0Offset));
        Write(tiff, ifd0, ifd0Offset);
        Write(tiff, sub, subOffset);
        if (gps is not null)
        {
            Write(tiff, gps, gpsOffset);
        }

        return [.. "Exif\0\0"u8.ToArray(), .. tiff];
    }

    private sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Data);

    private static int Size(List<Entry> entries) =>
        2 + entries.Count * 12 + 4 + entries.Where(e => e.Data.Length > 4).Sum(e => e.Data.Length + (e.Data.Length & 1));

    private static void Write(List<byte> tiff, List<Entry> entries, int offset)
    {
        if (tiff.Count != offset)
        {
            throw new InvalidOperationException($"EXIF layout error: IFD at {tiff.Count}, expected {offset}.");
        }

        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        var dataOffset = offset + 2 + entries.Count * 12 + 4;
        var data = new List<byte>();
        tiff.AddRange(U16((ushort)entries.Count));
        foreach (var entry in entries)
        {
            tiff.AddRange(U16(entry.Tag));
            tiff.AddRange(U16(entry.Type));
            tiff.AddRange(U32(entry.Count));
            if (entry.Data.Length <= 4)
            {
                tiff.AddRange(entry.Data);
                tiff.AddRange(new byte[4 - entry.Data.Length]);
            }
            else
            {
                tiff.AddRange(U32((uint)(dataOffset + data.Count)));
                data.AddRange(entry.Data);
                if ((entry.Data.Length & 1) == 1)
                {
                    data.Add(0);
                }
            }
        }

        tiff.AddRange(U32(0));
        tiff.AddRange(data);
    }

    private static Entry Text(ushort tag, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value + "\0");
        return new Entry(tag, Ascii, (uint)bytes.Length, bytes);
    }

    private static Entry Rationals(ushort tag, params (uint Numerator, uint Denominator)[] values)
    {
        var bytes = values.SelectMany(v => U32(v.Numerator).Concat(U32(v.Denominator))).ToArray();
        return new Entry(tag, Rational, (uint)values.Length, bytes);
    }

    private static (uint, uint)[] Dms(double degrees)
    {
        var d = Math.Floor(degrees);
        var m = Math.Floor((degrees - d) * 60);
        var s = (degrees - d - m / 60) * 3600;
        return [((uint)d, 1u), ((uint)m, 1u), ((uint)Math.Round(s * 10000), 10000u)];
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}
