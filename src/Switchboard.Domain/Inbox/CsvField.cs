namespace Switchboard.Inbox;

/// <summary>CSV cells that spreadsheets open safely (RFC 4180 quoting plus formula-injection defence).</summary>
public static class CsvField
{
    /// <summary>
    /// Quotes a cell when it holds a separator, quote or line break, and prefixes an apostrophe when it starts with
    /// = + - @ (or a tab / carriage return) so that a spreadsheet shows it as text instead of running it as a formula.
    /// </summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    public static string Row(IEnumerable<string?> cells) => string.Join(",", cells.Select(Escape)) + "\r\n";
}
