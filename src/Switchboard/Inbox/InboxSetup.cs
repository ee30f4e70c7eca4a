using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Auth;
using Switchboard.Inbox.Components;
using Switchboard.Storage;

namespace Switchboard.Inbox;

/// <summary>
/// The web UI: Razor components rendered on the server, plus two endpoints for live updates — a Server-Sent Events
/// stream of "conversations changed" and HTML fragments the page's script swaps in. No framework script is needed,
/// and the page runs under a CSP that allows only our own script.
/// </summary>
internal static class InboxSetup
{
    public static void AddInbox(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
    }

    public static void MapInbox(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>();

        var inbox = app.MapGroup("/inbox").RequireAuthorization(Policies.InboxRead).ExcludeFromDescription();
        inbox.MapGet("/events", StreamAsync);
        inbox.MapGet("/fragments/list", ListFragmentAsync);
        inbox.MapGet("/fragments/teams", TeamsFragmentAsync);
    }

    /// <summary>
    /// Server-Sent Events: one `changed` event per commit that touched conversations (coalesced), and a comment
    /// every 15 s so proxies keep the connection open. EventSource reconnects by itself.
    /// </summary>
    private static async Task StreamAsync(HttpContext ctx, InboxFeed feed, Database db, TimeProvider time)
    {
        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-store";
        var signal = Channel.CreateBounded<IReadOnlyCollection<long>>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        using var sub = feed.Subscribe(ids => signal.Writer.TryWrite(ids));
        var ct = ctx.RequestAborted;
        await ctx.Response.WriteAsync("retry: 2000\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(ct);
                beat.CancelAfter(TimeSpan.FromSeconds(15));
                string payload;
                try
                {
                    var ids = await signal.Reader.ReadAsync(beat.Token);
                    payload = $"event: changed\ndata: [{string.Join(',', ids.Take(500))}]\n\n";
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    if (!await SessionCheck.StillValidAsync(db, ctx.User, ct))
                    {
                        return; // deactivated or signed out everywhere since the stream opened
                    }

                    payload = ": keep-alive\n\n";
                }

                await ctx.Response.WriteAsync(payload, Encoding.UTF8, ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away.
        }
    }

    private static async Task<RazorComponentResult<ConversationList>> ListFragmentAsync(
        HttpContext ctx, Database db, TimeProvider time, string? queue, string? team, string? sort, long? selected, CancellationToken ct,
        long? topic = null)
    {
        var q = InboxViews.Parse(queue);
        var t = string.IsNullOrWhiteSpace(team) ? null : team;
        var s = InboxViews.ParseSort(sort) ?? InboxViews.DefaultSort(q);
        await using var conn = await db.OpenAsync(ct);
        var labels = Classification.Corrections.InboxLabelFilter.From(ctx.Request.Query);
        // The page itself reports a malformed drill-down; its live refresh then shows the list without it.
        var (drill, _) = Reports.ReportDrill.From(ctx.Request.Query, time.GetUtcNow());
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        var page = await InboxViews.PageAsync(conn, new InboxListRequest(q, t, s, null, topic, labels, drill), scope, time.GetUtcNow(), ct);
        return new RazorComponentResult<ConversationList>(new
        {
            Page = page,
            Queue = q,
            Team = t,
            Selected = selected,
            Now = time.GetUtcNow(),
            Filters = InboxViews.ListFilters(ctx.Request.Query),
            Sort = s,
            Selectable = scope.CanWrite,
        });
    }

    private static async Task<RazorComponentResult<TeamList>> TeamsFragmentAsync(HttpContext ctx, Database db, string? team, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var scope = await AccessScope.LoadAsync(conn, ctx.User);
        return new RazorComponentResult<TeamList>(new { Teams = await InboxViews.TeamCountsAsync(conn, scope), Active = team });
    }
}
