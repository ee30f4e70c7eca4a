using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Classification.Training;

internal sealed record ModelReadResult(LinearModel? Model, string? Error);

// The trained-model file: little-endian binary.
//   magic "SWBDLM" (6 bytes ASCII) · u16 format version · u16 feature version · i32 hash bits
//   · i32 label count · labels (length-prefixed UTF-8) · label column · i32 trained examples · trained-at (string)
//   · bias (f32 × labels) · i32 non-zero feature rows · rows of (i32 feature index, f32 IDF, f32 × labels)
//   · SHA-256 of every byte before it (32 bytes).
// Only rows with a non-zero IDF or weight are written, so a model is a few MB, not the full hash space.
// Version 2 added the IDF to each row (version 1 had none and hashed different character n-grams).
// A reader accepts exactly its own format and feature version: features hashed differently would give silently
// wrong predictions, so an old or newer model is refused with a message that says to retrain.
internal static class ModelFile
{
    public const ushort FormatVersion = 2;
    private static readonly byte[] Magic = "SWBDLM"u8.ToArray();
    private const int HashLength = 32;
    // Larger than any model this code writes (24 hash bits × a few hundred labels would be far beyond it).
    public const long MaxBytes = 1L << 30;

    public static void Write(LinearModel model, Stream output)
    {
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write((ushort)Features.FeatureVersion);
            w.Write(model.HashBits);
            w.Write(model.Classes);
            foreach (var l in model.Labels)
            {
                w.Write(l);
            }

            w.Write(model.Info.LabelColumn);
            w.Write(model.Info.TrainedExamples);
            w.Write(model.Info.TrainedAt);
            foreach (var b in model.Bias)
            {
                w.Write(b);
            }

            var k = model.Classes;
            var rows = 1 << model.HashBits;
            var nonZero = 0;
            for (var f = 0; f < rows; f++)
            {
                if (!RowIsZero(model, f, k))
                {
                    nonZero++;
                }
            }

            w.Write(nonZero);
            for (var f = 0; f < rows; f++)
            {
                if (RowIsZero(model, f, k))
                {
                    continue;
                }

                w.Write(f);
                w.Write(model.Idf[f]);
                for (var c = 0; c < k; c++)
                {
                    w.Write(model.Weights[(f * k) + c]);
                }
            }
        }

        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        output.Write(bytes);
        output.Write(SHA256.HashData(bytes));
    }

    public static ModelReadResult Read(Stream input)
    {
        byte[] all;
        try
        {
            using var ms = new MemoryStream();
            var buf = new byte[81920];
            int n;
            while ((n = input.Read(buf, 0, buf.Length)) > 0)
            {
                if (ms.Length + n > MaxBytes)
                {
                    return Fail($"larger than {MaxBytes} bytes: not a Switchboard model");
                }

                ms.Write(buf, 0, n);
            }

            all = ms.ToArray();
        }
        catch (IOException e)
        {
            return Fail($"could not be read: {e.Message}");
        }

        if (all.Length < Magic.Length + 4 || !all.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return Fail("is not a Switchboard model file (missing the SWBDLM header)");
        }

        var version = BitConverter.ToUInt16(all, Magic.Length);
        var featureVersion = BitConverter.ToUInt16(all, Magic.Length + 2);
        if (version != FormatVersion)
        {
            return Fail($"has model format version {version}; this build reads version {FormatVersion}. Retrain the model with this version");
        }

        if (featureVersion != Features.FeatureVersion)
        {
            return Fail($"was trained with feature version {featureVersion}; this build uses {Features.FeatureVersion}. Retrain the model with this version");
        }

        if (all.Length < Magic.Length + 4 + HashLength)
        {
            return Fail("is truncated");
        }

        var body = all.AsSpan(0, all.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(all.AsSpan(all.Length - HashLength)))
        {
            return Fail("is corrupt or truncated (checksum mismatch)");
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(all, 0, body.Length), Encoding.UTF8);
            r.ReadBytes(Magic.Length + 4);
            var bits = r.ReadInt32();
            if (bits is < 10 or > 24)
            {
                return Fail($"declares {bits} hash bits (expected 10–24)");
            }

            var k = r.ReadInt32();
            if (k is < 2 or > 10_000)
            {
                return Fail($"declares {k} labels (expected 2–10000)");
            }

            var labels = new string[k];
            for (var c = 0; c < k; c++)
            {
                labels[c] = r.ReadString();
            }

            var info = new ModelInfo(r.ReadString(), r.ReadInt32(), r.ReadString());
            var bias = new float[k];
            for (var c = 0; c < k; c++)
            {
                bias[c] = r.ReadSingle();
            }

            var rows = 1 << bits;
            if ((long)rows * k > int.MaxValue / 2)
            {
                return Fail("is too large to load");
            }

            var weights = new float[rows * k];
            var idf = new float[rows];
            var nonZero = r.ReadInt32();
            if (nonZero < 0 || nonZero > rows)
            {
                return Fail($"declares {nonZero} weight rows (expected 0–{rows})");
            }

            for (var i = 0; i < nonZero; i++)
            {
                var f = r.ReadInt32();
                if (f < 0 || f >= rows)
                {
                    return Fail($"has a weight row for feature {f} outside 0–{rows - 1}");
                }

                idf[f] = r.ReadSingle();
                if (!float.IsFinite(idf[f]) || idf[f] < 0)
                {
                    return Fail($"has an invalid IDF {idf[f]} for feature {f}");
                }

                for (var c = 0; c < k; c++)
                {
                    weights[(f * k) + c] = r.ReadSingle();
                }
            }

            if (r.BaseStream.Position != body.Length)
            {
                return Fail("has trailing bytes after the weights");
            }

            return new ModelReadResult(new LinearModel(labels, bits, weights, bias, info, idf), null);
        }
        catch (EndOfStreamException)
        {
            return Fail("is truncated");
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException or ArgumentException)
        {
            return Fail($"is malformed: {e.Message}");
        }
    }

    private static ModelReadResult Fail(string reason) => new(null, "model file " + reason);

    private static bool RowIsZero(LinearModel model, int f, int k)
    {
        if (model.Idf[f] != 0)
        {
            return false;
        }

        var w = model.Weights;
        for (var c = 0; c < k; c++)
        {
            if (w[(f * k) + c] != 0)
            {
                return false;
            }
        }

        return true;
    }
}
