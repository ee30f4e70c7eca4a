using System.Globalization;
using System.Text;

namespace Switchboard.Reports;

/// <summary>
/// A digest as a chat message (Slack-compatible mrkdwn): the headline KPIs of the period, each with its change from
/// the period before, and the busiest topics. Short on purpose: it is read on a phone; the page has the rest.
/// </summary>
public static class DigestText
{
    public static string Format(DigestSchedule digest, KpiReport r)
    {
        var t = r.Total;
        var p = r.Previous?.Total;
        var sb = new StringBuilder();
        var period = r.Period.From == r.Period.To
            ? r.Period.From.ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture)
            : $"{r.Period.From.ToString("d MMM", CultureInfo.InvariantCulture)} – {r.Period.To.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";
        sb.Append(CultureInfo.InvariantCulture, $"*Switchboard {(digest.Every == DigestEvery.Week ? "weekly" : "daily")} digest*");
        if (digest.Team is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" · {digest.Team}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" · {period} ({r.Period.Zone.Id})\n");
        sb.Append(CultureInfo.InvariantCulture, $"• {t.Conversations} conversations started{Change(p is null ? null : KpiDelta.Count(t.Conversations, p.Conversations))}; {r.Messages.Inbound} messages in, {r.Messages.Outbound} replies out\n");
        if (t.FirstResponse.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"• First response: median {KpiDelta.Duration(t.FirstResponse.Median)}{Change(p is null ? null : KpiDelta.Shorter(t.FirstResponse.Median, p.FirstResponse.Median))}, p90 {KpiDelta.Duration(t.FirstResponse.P90)}, {Percent(t.FirstResponse.ShareWithinTarget)} within {KpiDelta.Duration(r.ResponseTarget)}; {t.Conversations - t.Answered} unanswered\n");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"• First response: no conversation answered yet\n");
        }

        sb.Append(CultureInfo.InvariantCulture,
            $"• SLA attainment: {Percent(t.SlaAttainment)}{Change(p is null ? null : KpiDelta.Points(t.SlaAttainment, p.SlaAttainment))} ({t.Met} met, {t.Breached} breached, {t.SlaInProgress} in progress)\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"• Escalated: {t.Escalated}{Change(p is null ? null : KpiDelta.FewerIsBetter(t.Escalated, p.Escalated))}{(r.AcknowledgeMedian is { } a ? $", acknowledged in {KpiDelta.Duration(a)} (median)" : "")}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"• Net sentiment: {(t.NetSentiment is { } n ? (100 * n).ToString("+0;-0;0", CultureInfo.InvariantCulture) : "–")}{Change(p is null ? null : KpiDelta.Points(t.NetSentiment, p.NetSentiment))} ({t.Negative} negative, {t.Positive} positive)\n");
        if (r.Topics.Count > 0)
        {
            sb.Append("• Topics: ").AppendJoin(", ", r.Topics.Take(3).Select(x => $"{Escape(x.Name)} {Percent(x.Share)}")).Append('\n');
        }

        return sb.ToString().TrimEnd('\n');
    }

    static string Change(KpiDelta? d) => d is { Text.Length: > 0 } ? $" ({d.Text})" : "";

    static string Percent(double? share) => share is { } s ? (100 * s).ToString("0", CultureInfo.InvariantCulture) + " %" : "–";

    /// <summary>Topic names are typed by managers; Slack reads &lt; &gt; &amp; as markup (links, mentions such as
    /// &lt;!channel&gt;), so they are escaped the way its API asks.</summary>
    static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
