using System.Text;
using Switchboard.Inbox;

namespace Switchboard.Classification.Corrections;

/// <summary>
/// The inbox list's label selectors: sentiment, intent, department and one label: a classifier's ("name:value", e.g.
/// complaint_reason:Late Flight) or, without a colon, a conversation label ("billing"). Read from the page's query string; values that are not labels are ignored, so an
/// edited link shows an unfiltered list rather than an error.
/// </summary>
public sealed record InboxLabelFilter(string? Sentiment = null, string? Intent = null, string? Department = null, string? Label = null)
{
    public static readonly string[] Keys = ["sentiment", "intent", "department", "label"];

    public bool IsEmpty => Sentiment is null && Intent is null && Department is null && Label is null;

    public static InboxLabelFilter From(IQueryCollection query)
    {
        static string? Pick(string? v, IReadOnlyList<string> values, StringComparison cmp = StringComparison.Ordinal) =>
            string.IsNullOrWhiteSpace(v) ? null : values.FirstOrDefault(x => string.Equals(x, v, cmp));
        var label = query["label"].ToString();
        return new InboxLabelFilter(
            Pick(query["sentiment"], LabelCatalog.Sentiments),
            Pick(query["intent"], LabelCatalog.Intents),
            Pick(query["department"], LabelCatalog.Departments, StringComparison.OrdinalIgnoreCase),
            SplitLabel(label).Error is null && !string.IsNullOrEmpty(label) ? label : null);
    }

    public const string LabelHelp =
        "label must be a conversation label (e.g. billing) or name:value of a custom label (e.g. complaint_reason:Late Flight)";

    /// <summary>
    /// The one reading of a label selector, for the inbox page and both APIs: "name:value" is a classifier's label,
    /// anything else a conversation label in its one spelling; Error says why it is neither. Null or empty selects
    /// nothing.
    /// </summary>
    public static (string? Name, string? Value, string? ConversationLabel, string? Error) SplitLabel(string? label)
    {
        if (string.IsNullOrEmpty(label))
        {
            return (null, null, null, null);
        }

        if (ParseLabel(label) is var (name, value))
        {
            return (name, value, null, null);
        }

        // Normalize also refuses a colon, so a malformed "name:value" lands here with that reason.
        var (normalized, error) = Inbox.ConversationLabel.Normalize(label);
        return normalized is null ? (null, null, null, LabelHelp + ": " + error) : (null, null, normalized, null);
    }

    /// <summary>Splits "name:value"; null when it is not a custom label name followed by a value.</summary>
    private static (string Name, string Value)? ParseLabel(string? label)
    {
        if (string.IsNullOrEmpty(label) || label.Length > 300)
        {
            return null;
        }

        var colon = label.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == label.Length - 1)
        {
            return null;
        }

        var name = label[..colon];
        return LabelCatalog.CheckModelName(name) is null && name != LabelCatalog.Sentiment ? (name, label[(colon + 1)..]) : null;
    }

    public ConversationFilter Apply(ConversationFilter f)
    {
        var (name, value, conversationLabel, _) = SplitLabel(Label);
        return f with
        {
            Sentiment = Sentiment ?? f.Sentiment,
            Intent = Intent ?? f.Intent,
            // "none" is stored as NULL; filtering on it is not supported by the shared query, so it is ignored.
            Department = Department is null or "none" ? f.Department : Department,
            LabelName = name ?? f.LabelName,
            LabelValue = value ?? f.LabelValue,
            ConversationLabel = conversationLabel ?? f.ConversationLabel,
        };
    }

    /// <summary>The filter as query-string pairs ("&amp;sentiment=negative…"), for links that must keep it.</summary>
    public string Query()
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in new[] { ("sentiment", Sentiment), ("intent", Intent), ("department", Department), ("label", Label) })
        {
            if (v is not null)
            {
                sb.Append('&').Append(k).Append('=').Append(Uri.EscapeDataString(v));
            }
        }

        return sb.ToString();
    }
}
