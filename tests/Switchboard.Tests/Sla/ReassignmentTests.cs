using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Switchboard.Tests.Infrastructure;
using Xunit;
using static Switchboard.Tests.Sla.SlaTestSupport;

namespace Switchboard.Tests.Sla;

public class ReassignmentTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task An_assignee_who_does_not_answer_in_the_team_timeout_is_replaced(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        using var api = await server.AdminClientAsync();
        await ActivateAsync(api, Yaml().Replace("    selector: least_loaded\n", "    selector: least_loaded\n    reassign_after: 2s\n    max_reassignments: 1\n", StringComparison.Ordinal));
        await using var conn = await server.Db.OpenAsync();
        await conn.ExecuteAsync("UPDATE users SET available = CASE WHEN email IN ('carlos@demo.switchboard.local', 'fatima@demo.switchboard.local') THEN 1 ELSE 0 END");
        await api.PostAsync("/api/posts", Jsonl(Post("ra1", "refund please", DateTimeOffset.UtcNow)));
        var id = await ConversationOfAsync(server.Db, "ra1");
        var first = await conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @id", new { id });
        Assert.NotNull(first);

        var second = await EventuallyAsync(() => conn.ExecuteScalarAsync<long?>("SELECT assignee_id FROM conversations WHERE id = @id", new { id }),
            a => a is not null && a != first, TimeSpan.FromSeconds(15));
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.True(await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM notifications WHERE conversation_id = @id AND kind = 'reassigned' AND user_id = @second", new { id, second }) >= 1);
        Assert.True(await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sla_effects WHERE conversation_id = @id AND kind = 'ReassignDue'", new { id }) >= 1);
    }
}
