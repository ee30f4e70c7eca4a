using System.Globalization;
using System.Text;
using Dapper;
using Switchboard.Storage;

namespace Switchboard.Tests.Inbox;

/// <summary>
/// Every row of every table as text, so a test can prove a refused request changed nothing at all — not only the
/// table it meant to touch, but the audit log, notifications, outbox and timers too.
/// </summary>
internal static class DbSnapshot
{
    public static async Task<IReadOnlyDictionary<string, string>> TakeAsync(Database db)
    {
        await using var conn = await db.OpenAsync();
        var tables = db.IsSqlite
            ? await conn.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            : await conn.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var rows = new List<string>();
            foreach (IDictionary<string, object?> row in await conn.QueryAsync($"SELECT * FROM {table}"))
            {
                rows.Add(string.Join('|', row.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + "=" + Convert.ToString(c.Value is byte[] b ? Convert.ToBase64String(b) : c.Value, CultureInfo.InvariantCulture))));
            }

            rows.Sort(StringComparer.Ordinal);
            snapshot[table] = string.Join('\n', rows);
        }

        return snapshot;
    }

    /// <summary>The tables whose rows differ, with a few lines of each side, for a readable failure.</summary>
    public static string Diff(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var sb = new StringBuilder();
        foreach (var table in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var b = before.GetValueOrDefault(table) ?? "";
            var a = after.GetValueOrDefault(table) ?? "";
            if (a != b)
            {
                var bl = b.Split('\n').ToHashSet(StringComparer.Ordinal);
                var al = a.Split('\n').ToHashSet(StringComparer.Ordinal);
                sb.Append(table).Append(": -").Append(string.Join(" ; ", bl.Except(al).Take(3)))
                  .Append(" +").AppendLine(string.Join(" ; ", al.Except(bl).Take(3)));
            }
        }

        return sb.ToString();
    }
}
