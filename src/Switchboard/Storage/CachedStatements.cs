using System.Collections;
using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Switchboard.Storage;

/// <summary>
/// Dapper-shaped calls for the statements a hot path runs once per post (ingest, routing, SLA clocks), with the
/// statement compiled once per connection instead of once per call.
/// <para>
/// Why: Microsoft.Data.Sqlite keeps a compiled statement only on the command object, and Dapper makes a new command
/// for every call, so SQLite parsed and planned the same SQL for every post (about a third of the ingest batch's
/// time in a trace). Here each SQLite connection keeps one command per SQL text, and a call rebinds its parameters.
/// The cache belongs to the connection object: it is dropped when the connection closes (the driver finalizes the
/// statements then too) and is bounded, after which calls fall back to Dapper. On PostgreSQL the calls go straight to
/// Dapper: Npgsql prepares repeated statements itself (<see cref="Database.Postgres"/> turns that on).
/// </para>
/// Parameters come from an object's public properties (names as in the SQL); enumerable values (Dapper's
/// <c>IN @list</c> expansion) are not supported here and are refused, so such statements keep using Dapper.
/// </summary>
internal static class CachedStatements
{
    /// <summary>Distinct statements kept per connection: the ingest path uses a few dozen.</summary>
    public const int Capacity = 128;

    static readonly ConditionalWeakTable<SqliteConnection, Cache> Caches = [];

    /// <summary>Off: every call goes to Dapper. Only the ingest benchmark turns it off, to measure both in one run.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>How many statements <paramref name="conn"/> keeps compiled (tests).</summary>
    internal static int CountFor(DbConnection conn) =>
        conn is SqliteConnection sqlite && Caches.TryGetValue(sqlite, out var cache) ? cache.Commands.Count : 0;

    public static Task<int> ExecuteCachedAsync(this DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (Command(conn, sql, param, tx) is not { } cmd)
            return conn.ExecuteAsync(sql, param, tx);
        return Task.FromResult(cmd.ExecuteNonQuery());
    }

    public static Task<T?> ExecuteScalarCachedAsync<T>(this DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (Command(conn, sql, param, tx) is not { } cmd)
            return conn.ExecuteScalarAsync<T>(sql, param, tx);
        return Task.FromResult(Convert<T>(cmd.ExecuteScalar()));
    }

    public static Task<T?> QueryFirstOrDefaultCachedAsync<T>(this DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (Command(conn, sql, param, tx) is not { } cmd)
            return conn.QueryFirstOrDefaultAsync<T>(sql, param, tx);
        using var reader = cmd.ExecuteReader(CommandBehavior.SingleRow);
        return Task.FromResult(reader.Read() ? reader.GetRowParser<T>()(reader) : default);
    }

    // Not built on the OrDefault form: for a value type (a tuple) "no row" and "a default row" look the same there.
    public static Task<T> QueryFirstCachedAsync<T>(this DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (Command(conn, sql, param, tx) is not { } cmd)
            return conn.QueryFirstAsync<T>(sql, param, tx);
        using var reader = cmd.ExecuteReader(CommandBehavior.SingleRow);
        return reader.Read()
            ? Task.FromResult(reader.GetRowParser<T>()(reader))
            : throw new InvalidOperationException("Sequence contains no elements");
    }

    public static Task<List<T>> QueryCachedAsync<T>(this DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (Command(conn, sql, param, tx) is not { } cmd)
            return QueryListAsync<T>(conn, sql, param, tx);
        using var reader = cmd.ExecuteReader();
        var rows = new List<T>();
        if (reader.Read())
        {
            var parse = reader.GetRowParser<T>();
            do
            {
                rows.Add(parse(reader));
            }
            while (reader.Read());
        }
        return Task.FromResult(rows);
    }

    static async Task<List<T>> QueryListAsync<T>(DbConnection conn, string sql, object? param, DbTransaction? tx) =>
        [.. await conn.QueryAsync<T>(sql, param, tx)];

    /// <summary>The connection's command for <paramref name="sql"/> with the parameters bound; null to use Dapper.</summary>
    static SqliteCommand? Command(DbConnection conn, string sql, object? param, DbTransaction? tx)
    {
        if (!Enabled || conn is not SqliteConnection sqlite || sqlite.State != ConnectionState.Open)
            return null;
        var cache = Caches.GetValue(sqlite, c => new Cache(c));
        if (!cache.Commands.TryGetValue(sql, out var cmd))
        {
            if (cache.Commands.Count >= Capacity)
                return null;
            cmd = sqlite.CreateCommand();
            cmd.CommandText = sql;
            cache.Commands.Add(sql, cmd);
        }
        cmd.Transaction = (SqliteTransaction?)tx;
        cmd.Parameters.Clear();
        if (param is not null)
        {
            foreach (var (name, read) in Binders.GetOrAdd(param.GetType(), Binder))
            {
                var value = read(param);
                if (value is IEnumerable and not string and not byte[])
                    throw new ArgumentException($"parameter @{name} is a list; use Dapper for IN-list expansion", nameof(param));
                cmd.Parameters.Add(new SqliteParameter("@" + name, value ?? DBNull.Value));
            }
        }
        return cmd;
    }

    // ExecuteScalar<T>'s conversion as Dapper does it: NULL → default, otherwise the value changed to T (or T's
    // underlying type when T is nullable), so `long?` and `long` read SQLite's INTEGER alike.
    static T? Convert<T>(object? value)
    {
        if (value is null or DBNull)
            return default;
        if (value is T t)
            return t;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Read)[]> Binders = new();

    // One compiled reader per property of a parameter type (anonymous types are reused at every call site).
    static (string, Func<object, object?>)[] Binder(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0).Select(p =>
        {
            var o = Expression.Parameter(typeof(object));
            var read = Expression.Lambda<Func<object, object?>>(Expression.Convert(Expression.Property(Expression.Convert(o, type), p), typeof(object)), o);
            return (p.Name, read.Compile());
        })];

    sealed class Cache
    {
        public Dictionary<string, SqliteCommand> Commands { get; } = new(StringComparer.Ordinal);

        public Cache(SqliteConnection conn) =>
            conn.StateChange += (_, e) =>
            {
                if (e.CurrentState != ConnectionState.Closed)
                    return;
                foreach (var cmd in Commands.Values)
                    cmd.Dispose();
                Commands.Clear();
            };
    }
}
