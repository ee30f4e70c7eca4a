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
            ParseLabel(label) is not null || Inbox.ConversationLabel.Normalize(label).Label is not null ? label : null);
    }

    /// <summary>Splits "name:value"; null when it is not a custom label name followed by a value.</summary>
    public static (string Name, string Value)? ParseLabel(string? label)
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
        var custom = ParseLabel(Label);
        return f with
        {
            Sentiment = Sentiment ?? f.Sentiment,
            Intent = Intent ?? f.Intent,
            // "none" is stored as NULL; filtering on it is not supported by the shared query, so it is ignored.
            Department = Department is null or "none" ? f.Department : Department,
            LabelName = custom?.Name ?? f.LabelName,
            LabelValue = custom?.Value ?? f.LabelValue,
            // Without a colon it is a conversation label ("billing"), in its one spelling.
            ConversationLabel = custom is null && Label is not null ? Inbox.ConversationLabel.Normalize(Label).Label ?? f.ConversationLabel : f.ConversationLabel,
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
