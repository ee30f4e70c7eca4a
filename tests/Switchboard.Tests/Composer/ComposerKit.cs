using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Composer;

/// <summary>A server in demo mode (the demo outbound recorder) with the demo users and one known customer-service conversation.</summary>
internal sealed class ComposerKit : IAsyncDisposable
{
    private ComposerKit(RunningServer server, long conversationId)
    {
        Server = server;
        ConversationId = conversationId;
    }

    public RunningServer Server { get; }

    public long ConversationId { get; }

    public static async Task<ComposerKit> StartAsync(string provider, string text = "my order 7 is late, I want a refund", string handle = "ana")
    {
        // Demo mode for the outbound recorder; the demo stream's first burst adds unrelated conversations only.
        var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider), demo: true, demoInterval: TimeSpan.FromHours(1));
        using var admin = await server.AdminClientAsync();
        var post = JsonSerializer.Serialize(new
        {
            id = "kit-1",
            channel = "mastodon",
            text,
            created_at = "2026-11-22T10:00:00Z",
            author = new { id = "author-" + handle, handle, name = "Ana Author" },
        });
        var res = await admin.PostAsync("/api/posts", new StringContent(post, Encoding.UTF8, "application/x-ndjson"));
        res.EnsureSuccessStatusCode();
        await using var conn = await server.Db.OpenAsync();
        var id = await conn.ExecuteScalarAsync<long>("SELECT conversation_id FROM messages WHERE external_id = 'kit-1'");
        // Pin the conversation to customer service so team scoping is predictable whatever routing decides.
        await conn.ExecuteAsync("UPDATE conversations SET team_id = (SELECT id FROM teams WHERE slug = 'customer-service'), requires_approval = 0 WHERE id = @id", new { id });
        return new ComposerKit(server, id);
    }

    public async Task<HttpClient> ClientAsync(string email)
    {
        await using var conn = await Server.Db.OpenAsync();
        var user = await Users.FindAsync(conn, email) ?? throw new InvalidOperationException("no user " + email);
        return Server.Client(await ApiTokens.CreateAsync(conn, user.Id, "test", TimeProvider.System));
    }

    public static string Email(string name) => name + "@demo.switchboard.local";

    public static string Password => DemoWorkspace.Password;

    public async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var conn = await Server.Db.OpenAsync();
        return (await conn.ExecuteScalarAsync<T>(sql, args))!;
    }

    public async Task ExecAsync(string sql, object? args = null)
    {
        await using var conn = await Server.Db.OpenAsync();
        await conn.ExecuteAsync(sql, args);
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient c, long conversationId, string text, long? openedAt = null, bool confirm = false) =>
        c.PostAsJsonAsync($"/api/conversations/{conversationId}/replies", new { text, openedAt, confirm });

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
