using System.IO.Compression;
using System.Text;

namespace Switchboard.Tests.Channels.Webhooks;

/// <summary>One kept body: the file it came from and the provider its name starts with.</summary>
internal sealed record WebhookRegression(string Name, WebhookProvider Provider, byte[] Body);

/// <summary>
/// The regression bodies in tests/Switchboard.Domain.Tests/Channels/Webhooks/Regressions (see its README.md): replayed
/// on every run by the parser test and the HTTP test. A file is named <c>{slack|meta|generic}-{what}.body</c> and
/// holds the raw bytes exactly as sent; <c>.body.gz</c> is the same gzipped, for the multi-megabyte ones. The fuzzers
/// write every body that fails here, so a failure found once is kept.
/// </summary>
internal static class WebhookRegressions
{
    public const string Folder = "tests/Switchboard.Domain.Tests/Channels/Webhooks/Regressions";

    /// <summary>The folder in the source tree (not the build output), so a body the fuzzer saves shows up in git status.</summary>
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Switchboard.sln")))
                    return Path.Combine(dir.FullName, Folder);
            }
            throw new DirectoryNotFoundException($"no Switchboard.sln above {AppContext.BaseDirectory}");
        }
    }

    public static IReadOnlyList<WebhookRegression> All() =>
        [.. System.IO.Directory.EnumerateFiles(Directory)
            .Where(f => f.EndsWith(".body", StringComparison.Ordinal) || f.EndsWith(".body.gz", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(Load)];

    public static WebhookRegression Load(string path)
    {
        var name = Path.GetFileName(path);
        var provider = name.Split('-')[0] switch
        {
            "slack" => WebhookProvider.Slack,
            "meta" => WebhookProvider.Meta,
            "generic" => WebhookProvider.Generic,
            _ => throw new InvalidDataException($"{name}: a regression body's name starts with slack-, meta- or generic-"),
        };
        var bytes = File.ReadAllBytes(path);
        if (name.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gunzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gunzip.CopyTo(plain);
            bytes = plain.ToArray();
        }
        return new WebhookRegression(name, provider, bytes);
    }

    /// <summary>
    /// Keeps a failing body as <c>{provider}-{source}-{seed}-{case}.body</c> (gzipped past 64 KiB) and answers its path.
    /// Saving never fails the caller: the assertion that follows reports the failure either way.
    /// </summary>
    public static string Save(WebhookProvider provider, string source, int seed, int n, byte[] body)
    {
        var name = $"{provider.ToString().ToLowerInvariant()}-{source}-{seed}-{n}.body";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            var path = Path.Combine(Directory, name);
            if (body.Length > 64 * 1024)
            {
                path += ".gz";
                using var file = File.Create(path);
                using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
                gzip.Write(body);
            }
            else
            {
                File.WriteAllBytes(path, body);
            }
            return path;
        }
        catch (IOException ex)
        {
            return $"(not saved: {ex.Message}) {name}";
        }
        catch (UnauthorizedAccessException ex)
        {
            return $"(not saved: {ex.Message}) {name}";
        }
    }

    /// <summary>The start of a body for a failure message, bytes that are not printable ASCII as \xNN.</summary>
    public static string Preview(byte[] body)
    {
        var sb = new StringBuilder();
        foreach (var b in body.Take(160))
            sb.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        return body.Length > 160 ? sb + $"… ({body.Length} bytes)" : sb.ToString();
    }
}
