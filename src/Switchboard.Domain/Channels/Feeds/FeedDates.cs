using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Channels.Feeds;

/// <summary>
/// Lenient date parsing for feeds: RFC 822/1123 (RSS), RFC 3339 and the ISO 8601/W3CDTF subsets Atom and Dublin Core
/// use, including reduced precision ("2003-12", "2003") and the compact form ("20031231T101455Z"). Real feeds get
/// these wrong in many small ways (missing seconds, two-digit years, named zones, no day name), so each format is a
/// tolerant pattern rather than an exact format string. Unknown text gives null, never an exception.
/// </summary>
internal static partial class FeedDates
{
    public static DateTimeOffset? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var s = text.Trim();
        return ParseIso(s) ?? ParseRfc822(s);
    }

    private static DateTimeOffset? ParseIso(string s)
    {
        var m = IsoPattern().Match(s);
        if (!m.Success)
            m = IsoCompactPattern().Match(s);
        if (!m.Success)
            return null;
        int year = Int(m, "y", 0);
        if (m.Groups["y"].Length == 2)
            year += year < 70 ? 2000 : 1900;
        int month = Int(m, "mo", 1), day = Int(m, "d", 1);
        int hour = Int(m, "h", 0), minute = Int(m, "mi", 0), second = Int(m, "s", 0);
        double fraction = m.Groups["f"].Success ? double.Parse("0." + m.Groups["f"].Value, CultureInfo.InvariantCulture) : 0;
        var offset = m.Groups["z"].Success ? ZoneOffset(m.Groups["z"].Value) : TimeSpan.Zero;
        return Build(year, month, day, hour, minute, second, fraction, offset ?? TimeSpan.Zero);
    }

    private static DateTimeOffset? ParseRfc822(string s)
    {
        var m = Rfc822Pattern().Match(s);
        if (!m.Success)
            return null;
        var month = MonthNumber(m.Groups["mon"].Value);
        if (month is null)
            return null;
        int year = Int(m, "y", 0);
        if (m.Groups["y"].Length <= 2)
            year += year < 70 ? 2000 : 1900;
        var offset = m.Groups["z"].Success ? ZoneOffset(m.Groups["z"].Value) : TimeSpan.Zero;
        return Build(year, month.Value, Int(m, "d", 1), Int(m, "h", 0), Int(m, "mi", 0), Int(m, "s", 0), 0, offset ?? TimeSpan.Zero);
    }

    private static DateTimeOffset? Build(int year, int month, int day, int hour, int minute, int second, double fraction, TimeSpan offset)
    {
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 24 || minute > 59 || second > 60 || offset.Duration() > TimeSpan.FromHours(14))
            return null;
        // 24:00 and leap second 60 roll over rather than failing: feeds that say so mean the next instant.
        var extra = TimeSpan.Zero;
        if (hour == 24) { hour = 0; extra += TimeSpan.FromDays(1); }
        if (second == 60) { second = 59; extra += TimeSpan.FromSeconds(1); }
        try
        {
            var local = new DateTimeOffset(year, month, day, hour, minute, second, offset) + extra + TimeSpan.FromTicks((long)(fraction * TimeSpan.TicksPerSecond));
            return local.ToUniversalTime();
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static int Int(Match m, string group, int fallback) =>
        m.Groups[group].Success && m.Groups[group].Length > 0 ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;

    private static int? MonthNumber(string name) => name.Length < 3 ? null : name[..3].ToUpperInvariant() switch
    {
        "JAN" => 1,
        "FEB" => 2,
        "MAR" => 3,
        "APR" => 4,
        "MAY" => 5,
        "JUN" => 6,
        "JUL" => 7,
        "AUG" => 8,
        "SEP" => 9,
        "OCT" => 10,
        "NOV" => 11,
        "DEC" => 12,
        _ => null,
    };

    /// <summary>Numeric (+0100, -05:00, +01), UTC names and the North American zones of RFC 822; military letters other than Z are ambiguous in practice and read as UTC.</summary>
    private static TimeSpan? ZoneOffset(string zone)
    {
        var z = zone.Trim();
        if (z.Length == 0)
            return TimeSpan.Zero;
        if (z[0] is '+' or '-')
        {
            var digits = z[1..].Replace(":", "", StringComparison.Ordinal);
            if (digits.Length is not (2 or 4) || !digits.All(char.IsAsciiDigit))
                return null;
            var hours = int.Parse(digits[..2], CultureInfo.InvariantCulture);
            var minutes = digits.Length == 4 ? int.Parse(digits[2..], CultureInfo.InvariantCulture) : 0;
            var span = new TimeSpan(hours, minutes, 0);
            return z[0] == '-' ? -span : span;
        }
        return z.ToUpperInvariant() switch
        {
            "EST" => TimeSpan.FromHours(-5),
            "EDT" => TimeSpan.FromHours(-4),
            "CST" => TimeSpan.FromHours(-6),
            "CDT" => TimeSpan.FromHours(-5),
            "MST" => TimeSpan.FromHours(-7),
            "MDT" => TimeSpan.FromHours(-6),
            "PST" => TimeSpan.FromHours(-8),
            "PDT" => TimeSpan.FromHours(-7),
            _ => TimeSpan.Zero, // GMT, UT, UTC, Z and the rest
        };
    }

    [GeneratedRegex(@"^(?<y>\d{4}|\d{2})(?:-(?<mo>\d{1,2})(?:-(?<d>\d{1,2})(?:[T\s]+(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2})(?:[.,](?<f>\d+))?)?\s*(?<z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?)?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();

    [GeneratedRegex(@"^(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})(?:T(?<h>\d{2})(?<mi>\d{2})(?<s>\d{2})?(?:\.(?<f>\d+))?(?<z>Z|[+-]\d{2}:?\d{2})?)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IsoCompactPattern();

    // "Thu, 01 Jan 2004 19:48:21 GMT", "1 Jan 04 19:48 +0100", "Thursday, 01-Jan-2004 19:48:21 EST".
    [GeneratedRegex(@"^(?:[A-Za-z]+\.?,?\s*)?(?<d>\d{1,2})[\s-]+(?<mon>[A-Za-z]{3,})\.?[\s-]+(?<y>\d{2,4})(?:[\sT]+(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?(?:\.\d+)?)?\s*(?<z>[A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc822Pattern();
}
