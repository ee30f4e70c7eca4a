using System.Net;
using Dapper;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Notifications;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Switchboard.Tests.Inbox;

/// <summary>
/// Generated from the running app's route table, so a new endpoint is covered the day it is added: every endpoint
/// carries an authorization policy (bar an explicit allow-list), and every route taking an id answers 403/404 to a
/// signed-in user of another team.
/// </summary>
public class RouteTableSecurityTests(ITestOutputHelper output)
{
    /// <summary>Public on purpose: health probe, API description, the sign-in page and form.</summary>
    private static readonly string[] Anonymous = ["/healthz", "/openapi/{documentName}.json", "/login", "/account/login"];

    /// <summary>Framework endpoints with nothing to protect: the static-file fallback and Blazor's redirect helper.</summary>
    private static readonly string[] Framework = ["/{**path:file}", "/_framework/opaque-redirect"];

    private static bool IsSignedWebhook(RouteEndpoint e) => RouteTable.IsSignedWebhook(e);

    /// <summary>
    /// Workspace configuration, not team data: listening topics, channel accounts, canned replies, compliance rule sets
    /// and routing rule versions belong to the whole workspace and are guarded by role policies (the test above), not
    /// by team scope.
    /// </summary>
    private static readonly string[] WorkspaceWide =
        ["topics/", "api/topics/", "channels/", "api/channels/", "api/canned-replies/", "api/compliance/", "api/rules/", "api/experts/"];

    private static bool IsWorkspaceWide(RouteEndpoint e) =>
        WorkspaceWide.Any(w => (e.RoutePattern.RawText ?? "").TrimStart('/').StartsWith(w, StringComparison.Ordinal));

    private static bool IsStaticAsset(RouteEndpoint e) => RouteTable.IsStaticAsset(e);

    private static IReadOnlyList<RouteEndpoint> Routes(RunningServer server) => RouteTable.Routes(server);

    [Fact]
    public async Task Every_endpoint_has_an_authorization_policy_except_the_allow_list()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        var missing = new List<string>();
        var routes = Routes(server);
        foreach (var e in routes)
        {
            var pattern = "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');
            if (IsStaticAsset(e) || IsSignedWebhook(e) || Anonymous.Contains(pattern) || Framework.Contains(pattern))
            {
                continue;
            }

            var authorize = e.Metadata.GetOrderedMetadata<IAuthorizeData>();
            var anonymous = e.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (authorize.Count == 0 || anonymous)
            {
                missing.Add($"{pattern} ({e.DisplayName})");
            }
        }

        Assert.True(routes.Count > 30, $"only {routes.Count} routes found: is the route table read correctly?");
        Assert.True(missing.Count == 0, "endpoints without an authorization policy:\n" + string.Join("\n", missing));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Every_route_with_an_id_refuses_a_user_of_another_team(string provider)
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync(provider));
        var ids = await InboxFixture.IngestAsync(server, ("p1", "my refund never arrived, order 123"));
        var conversation = ids["p1"];
        long author, notification, message, reply, handover;
        await using (var conn = await server.Db.OpenAsync())
        {
            var team = await conn.ExecuteScalarAsync<string>("SELECT t.slug FROM conversations c JOIN teams t ON t.id = c.team_id WHERE c.id = @conversation", new { conversation });
            Assert.Equal("customer-service", team);
            author = await conn.ExecuteScalarAsync<long>("SELECT author_id FROM conversations WHERE id = @conversation", new { conversation });
            message = await conn.ExecuteScalarAsync<long>("SELECT MIN(id) FROM messages WHERE conversation_id = @conversation", new { conversation });
            // A reply of Carlos's team waiting for approval: replies and approvals are team data too.
            reply = await conn.ExecuteScalarAsync<long>(
                """
                INSERT INTO replies (conversation_id, in_reply_to_message_id, author_id, channel, text, status, needs_approval, required_tiers,
                  idempotency_key, created_at, updated_at)
                SELECT @conversation, @message, u.id, 'mastodon', 'We are on it', 'pending_approval', 1, 1, 'route-table-test', 0, 0
                FROM users u WHERE u.email = @email RETURNING id
                """, new { conversation, message, email = InboxFixture.Carlos });
            // A hand-over of Carlos's conversation to Lena (Legal): neither asker nor expert is Ivan.
            handover = await conn.ExecuteScalarAsync<long>(
                """
                INSERT INTO handovers (conversation_id, agent_id, expert_id, area, question, status, created_at, due_at, warn_at, updated_at)
                SELECT @conversation, a.id, e.id, 'Legal', 'May we say this?', 'open', 0, 1, 1, 0
                FROM users a, users e WHERE a.email = @carlos AND e.email = 'lena@demo.switchboard.local' RETURNING id
                """, new { conversation, carlos = InboxFixture.Carlos });
            notification = await NotificationStore.AddAsync(conn, null, await InboxFixture.UserIdAsync(server, InboxFixture.Carlos), "test", conversation, "for Carlos only", TimeProvider.System);
        }

        // A person's profile: only admins and managers may read or change it, whoever it is.
        var person = await InboxFixture.UserIdAsync(server, InboxFixture.Carlos);
        using var ivan = await InboxFixture.SignInAsync(server, InboxFixture.Ivan);   // IT team: not customer service
        using var carlos = await InboxFixture.SignInAsync(server, InboxFixture.Carlos);
        var checkedRoutes = 0;
        var failures = new List<string>();
        foreach (var e in Routes(server))
        {
            var idParams = e.RoutePattern.Parameters.Where(p => p.Name.Equals("id", StringComparison.OrdinalIgnoreCase) || p.Name.EndsWith("Id", StringComparison.Ordinal)).ToList();
            if (idParams.Count == 0 || IsStaticAsset(e) || IsSignedWebhook(e) || IsWorkspaceWide(e))
            {
                continue;
            }

            var url = BuildUrl(e.RoutePattern, conversation, author, notification, message, reply, handover, person);
            if (url is null)
            {
                failures.Add($"{e.RoutePattern.RawText}: no test id for this kind of entity; add it to BuildUrl");
                continue;
            }

            var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var json = e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Any(t => t.Contains("json", StringComparison.Ordinal)) == true;
            // Razor pages also accept POST for their named forms; the inbox page has none, so a POST is a 400
            // whatever the id and reveals nothing. Their GET is what shows data.
            var page = e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;
            foreach (var method in methods.Where(m => !page || m == "GET"))
            {
                var response = method == "GET" ? await ivan.Http.GetAsync(url)
                    : json ? await ivan.SendJsonAsync(new HttpMethod(method), url, new { })
                    : method == "POST" ? await ivan.PostFormAsync(url, ("returnUrl", "/"))
                    : await ivan.SendJsonAsync(new HttpMethod(method), url, null);
                checkedRoutes++;
                output.WriteLine($"{method} {url} → {(int)response.StatusCode}");
                if (response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Forbidden))
                {
                    failures.Add($"{method} {url} answered {(int)response.StatusCode} to a user of another team");
                }
            }
        }

        Assert.True(checkedRoutes >= 10, $"only {checkedRoutes} id routes checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The control: the same conversation is visible to its own team, so the 404s above are about scope.
        Assert.Equal(HttpStatusCode.OK, (await carlos.Http.GetAsync($"/api/conversations/{conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await carlos.Http.GetAsync($"/conversations/{conversation}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await carlos.Http.GetAsync($"/api/inbox/authors/{author}")).StatusCode);
        var ivanNotifications = await InboxFixture.JsonAsync(await ivan.Http.GetAsync("/api/inbox/notifications"));
        Assert.Equal(0, ivanNotifications.GetProperty("unread").GetInt64());
    }

    private static string? BuildUrl(RoutePattern pattern, long conversation, long author, long notification, long message, long reply, long handover, long person)
    {
        var parts = new List<string>();
        string? previous = null;
        foreach (var segment in pattern.PathSegments)
        {
            var text = "";
            foreach (var part in segment.Parts)
            {
                switch (part)
                {
                    case RoutePatternLiteralPart l:
                        text += l.Content;
                        break;
                    case RoutePatternSeparatorPart s:
                        text += s.Content;
                        break;
                    case RoutePatternParameterPart p when p.Name.Equals("id", StringComparison.OrdinalIgnoreCase) || p.Name.EndsWith("Id", StringComparison.Ordinal):
                        long? id = p.Name is "ConversationId" or "conversationId" ? conversation : p.Name == "replyId" ? reply : p.Name is "handoverId" or "HandoverId" ? handover : previous switch
                        {
                            "conversations" => conversation,
                            "authors" => author,
                            "notifications" => notification,
                            "messages" => message,
                            "replies" or "approvals" => reply,
                            "handovers" or "handover" => handover,
                            "people" => person,
                            _ => null,
                        };
                        if (id is null)
                        {
                            return null;
                        }

                        text += id.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case RoutePatternParameterPart p:
                        text += p.Name switch { "tag" => "vip", "view" => "all", _ => "x" };
                        break;
                }
            }

            parts.Add(text);
            previous = text;
        }

        return "/" + string.Join('/', parts);
    }
}
