using Dapper;
using Microsoft.Data.Sqlite;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Ingest;

/// <summary>
/// The statement cache of the ingest path must give exactly what Dapper gives (it replaced Dapper calls one for one),
/// on both databases, and must never outlive the connection its statements were compiled on.
/// </summary>
public sealed class CachedStatementsTests
{
    const string Table = "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE PRECISION, flag BIGINT)";

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Gives_what_Dapper_gives_across_calls_and_transactions(string provider)
    {
        var db = await TestDatabases.CreateAsync(provider);
        await using var conn = await db.OpenAsync();
        await conn.ExecuteAsync(Table);
        const string insert = "INSERT INTO t (id, name, score, flag) VALUES (@id, @name, @score, @flag)";
        for (var round = 0; round < 3; round++)
        {
            await using var tx = await conn.BeginTransactionAsync();
            for (var i = 0; i < 5; i++)
            {
                long id = round * 10 + i;
                // Nulls, unicode, a value needing conversion (int → BIGINT), an unused property: all as Dapper binds them.
                var n = await conn.ExecuteCachedAsync(insert, new { id, name = i == 2 ? null : $"naïve “{id}” 🙂", score = i * 0.5, flag = (int?)(i % 2), unused = "x" }, tx);
                Assert.Equal(1, n);
            }
            await tx.CommitAsync();
        }

        const string one = "SELECT id AS Id, name AS Name, score AS Score, flag AS Flag FROM t WHERE id = @id";
        foreach (var id in new long[] { 0, 2, 13, 24 })
        {
            var cached = await conn.QueryFirstOrDefaultCachedAsync<Row>(one, new { id }, null);
            var dapper = await conn.QueryFirstOrDefaultAsync<Row>(one, new { id });
            Assert.Equal(dapper, cached);
            Assert.NotNull(cached);
        }
        Assert.Null(await conn.QueryFirstOrDefaultCachedAsync<Row>(one, new { id = 999L }, null));
        await Assert.ThrowsAsync<InvalidOperationException>(() => conn.QueryFirstCachedAsync<Row>(one, new { id = 999L }, null));
        // A tuple (a value type) with no row throws too, as Dapper's QueryFirst does, rather than give a default tuple.
        await Assert.ThrowsAsync<InvalidOperationException>(() => conn.QueryFirstCachedAsync<(long, string?)>("SELECT id, name FROM t WHERE id = @id", new { id = 999L }, null));
        Assert.Equal((13L, "naïve “13” 🙂"), await conn.QueryFirstCachedAsync<(long, string?)>("SELECT id, name FROM t WHERE id = @id", new { id = 13L }, null));

        const string many = "SELECT id, name FROM t WHERE flag = @flag ORDER BY id";
        Assert.Equal((await conn.QueryAsync<(long, string?)>(many, new { flag = 1 })).ToList(), await conn.QueryCachedAsync<(long, string?)>(many, new { flag = 1 }, null));
        Assert.Empty(await conn.QueryCachedAsync<long>("SELECT id FROM t WHERE flag = @flag", new { flag = 7 }, null));

        // Scalars: NULL → default, and INTEGER read as long, long? and int alike.
        Assert.Null(await conn.ExecuteScalarCachedAsync<string?>("SELECT name FROM t WHERE id = @id", new { id = 2L }, null));
        Assert.Null(await conn.ExecuteScalarCachedAsync<long?>("SELECT id FROM t WHERE id = @id", new { id = 999L }, null));
        Assert.Equal(15L, await conn.ExecuteScalarCachedAsync<long>("SELECT COUNT(*) FROM t", null, null));
        Assert.Equal(15, await conn.ExecuteScalarCachedAsync<int>("SELECT COUNT(*) FROM t", null, null));
        Assert.Equal(24L, await conn.ExecuteScalarCachedAsync<long?>("SELECT MAX(id) FROM t", null, null));
        Assert.Equal(2.0, await conn.ExecuteScalarCachedAsync<double>("SELECT score FROM t WHERE id = @id", new { id = 24L }, null));

        // A failing statement (duplicate key) leaves its cached command usable for the next call.
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => conn.ExecuteCachedAsync(insert, new { id = 0L, name = "dup", score = 0.0, flag = 0 }, null));
        Assert.Equal(1, await conn.ExecuteCachedAsync(insert, new { id = 100L, name = "after", score = 0.0, flag = 0 }, null));
        Assert.Equal("after", await conn.ExecuteScalarCachedAsync<string>("SELECT name FROM t WHERE id = @id", new { id = 100L }, null));
    }

    [Fact]
    public async Task Compiles_each_statement_once_per_connection_and_forgets_it_when_the_connection_closes()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        var conn = await db.OpenAsync();
        await conn.ExecuteAsync(Table);
        for (var i = 0; i < 50; i++)
            await conn.ExecuteCachedAsync("INSERT INTO t (id, name) VALUES (@i, 'x')", new { i }, null);
        Assert.Equal(1, CachedStatements.CountFor(conn));
        await conn.ExecuteScalarCachedAsync<long>("SELECT COUNT(*) FROM t", null, null);
        Assert.Equal(2, CachedStatements.CountFor(conn));

        // Closing drops the statements (the driver finalizes them); the same object reopened compiles afresh and works.
        await conn.CloseAsync();
        Assert.Equal(0, CachedStatements.CountFor(conn));
        await conn.OpenAsync();
        Assert.Equal(50L, await conn.ExecuteScalarCachedAsync<long>("SELECT COUNT(*) FROM t", null, null));
        await conn.DisposeAsync();

        // A pooled connection opened next starts with nothing cached.
        await using var next = await db.OpenAsync();
        Assert.Equal(0, CachedStatements.CountFor(next));
        Assert.Equal(50L, await next.ExecuteScalarCachedAsync<long>("SELECT COUNT(*) FROM t", null, null));
    }

    [Fact]
    public async Task Is_bounded_then_falls_back_to_Dapper()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        await using var conn = await db.OpenAsync();
        for (var i = 0; i < CachedStatements.Capacity + 20; i++)
            Assert.Equal(i, await conn.ExecuteScalarCachedAsync<long>($"SELECT {i}", null, null));
        Assert.Equal(CachedStatements.Capacity, CachedStatements.CountFor(conn));
    }

    [Fact]
    public async Task Refuses_a_list_parameter_instead_of_binding_it_wrongly()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        await using var conn = await db.OpenAsync();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => conn.ExecuteScalarCachedAsync<long>("SELECT 1 WHERE 1 IN @ids", new { ids = new[] { 1, 2 } }, null));
        Assert.Contains("@ids", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_statement_in_the_wrong_transaction_state_fails_as_with_Dapper()
    {
        var db = await TestDatabases.CreateAsync("sqlite");
        await using var conn = await db.OpenAsync();
        await conn.ExecuteAsync(Table);
        await using var tx = await conn.BeginTransactionAsync();
        // Microsoft.Data.Sqlite refuses a command outside the connection's open transaction; the cache must not hide it
        // by reusing a command still bound to an older transaction.
        await Assert.ThrowsAsync<InvalidOperationException>(() => conn.ExecuteCachedAsync("INSERT INTO t (id) VALUES (1)", null, null));
        Assert.Equal(1, await conn.ExecuteCachedAsync("INSERT INTO t (id) VALUES (1)", null, tx));
        await tx.RollbackAsync();
        Assert.Equal(0L, await conn.ExecuteScalarCachedAsync<long>("SELECT COUNT(*) FROM t", null, null));
        Assert.IsType<SqliteConnection>(conn);
    }

    [Fact]
    public void PostgreSQL_prepares_repeated_statements_unless_the_operator_chose_otherwise()
    {
        var defaults = new Npgsql.NpgsqlConnectionStringBuilder(Database.Postgres("Host=db;Username=u;Database=d").ConnectionString);
        Assert.Equal(100, defaults.MaxAutoPrepare);
        Assert.Equal(2, defaults.AutoPrepareMinUsages);
        foreach (var given in new[] { "Host=db;Database=d;Max Auto Prepare=0", "Host=db;Database=d;maxautoprepare=0" })
            Assert.Equal(0, new Npgsql.NpgsqlConnectionStringBuilder(Database.Postgres(given).ConnectionString).MaxAutoPrepare);
        var url = new Npgsql.NpgsqlConnectionStringBuilder(Database.Parse("postgres://u:p@db:5432/d", ".").ConnectionString);
        Assert.Equal(100, url.MaxAutoPrepare);
    }

    sealed record Row(long Id, string? Name, double? Score, long? Flag);
}
