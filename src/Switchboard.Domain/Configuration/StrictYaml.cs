using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Switchboard.Configuration;

/// <summary>Why a YAML text was refused before any field was read, and where (line/column 0 when unknown).</summary>
internal sealed record YamlRefusal(string Message, Mark? Mark);

/// <summary>
/// The hostile-input rules every YAML document managers paste in shares (routing/SLA workspace, compliance rule sets):
/// one document only, anchors and aliases refused (no alias bombs), duplicate keys refused, parser errors reported
/// with their position. Size caps stay with the callers because each names its own limit.
/// </summary>
internal static class StrictYaml
{
    /// <summary>The root node (null for an empty text), or the refusal.</summary>
    public static (YamlNode? Root, YamlRefusal? Refusal) Read(string yaml)
    {
        try
        {
            // Scan events first: an alias is refused before the representation model can expand it.
            var parser = new Parser(new StringReader(yaml));
            while (parser.MoveNext())
            {
                if (parser.Current is AnchorAlias or NodeEvent { Anchor.IsEmpty: false })
                    return (null, new("YAML anchors and aliases are not supported", parser.Current.Start));
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count > 1)
                return (null, new("expected a single YAML document", null));
            return (stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode, null);
        }
        catch (YamlException e)
        {
            return (null, new("invalid YAML: " + (e.InnerException?.Message ?? e.Message), e.Start));
        }
        catch (ArgumentException e)
        {
            // YamlDotNet reports a duplicate mapping key as an ArgumentException from the dictionary.
            return (null, new("invalid YAML: " + e.Message, null));
        }
    }
}
