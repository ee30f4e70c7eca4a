using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Switchboard.Auth;
using Switchboard.Composer.Components;
using Switchboard.Inbox;
using Switchboard.Storage;

namespace Switchboard.Composer;

/// <summary>The composer, compliance and approvals module: its services, its API and its UI endpoints.</summary>
internal static class ComposerSetup
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void AddComposer(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ComplianceRules>();
        builder.Services.AddSingleton<PresenceHub>();
        builder.Services.AddSingleton<ReplyFlow>();
    }

    public static void MapComposer(this WebApplication app, RouteGroupBuilder api)
    {
        api.MapComposerApi();

        var ui = app.MapGroup("/composer").RequireAuthorization().ExcludeFromDescription();
        ui.MapGet("/events", PresenceStreamAsync);
        ui.MapGet("/fragments/replies", RepliesFragmentAsync);
        ui.MapPost("/approvals/{replyId:long}", DecideFormAsync);
        ui.MapPost("/compliance", ComplianceFormAsync);
        ui.MapPost("/canned", CannedFormAsync);
    }

    /// <summary>
    /// Server-Sent Events for one open conversation: `presence` (who else is here, who is typing) whenever it changes,
    /// `changed` when the conversation's data changed (a reply sent, approved, failed), and a comment every 15 s.
    /// The open stream is the viewer's presence: closing the tab ends it.
    /// </summary>
    private static async Task PresenceStreamAsync(HttpContext ctx, long conversation, Database db, PresenceHub hub, InboxFeed feed)
    {
        await using (var conn = await db.OpenAsync(ctx.RequestAborted))
        {
            if (await ConversationAccess.VisibleAsync(conn, ctx.User, conversation) is null)
            {
                ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
        }

        ctx.Response.Headers.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-store";
        var signal = Channel.CreateBounded<string>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest });
        var self = ctx.User.UserId();
        using var changed = feed.Subscribe(ids =>
        {
            if (ids.Contains(conversation))
            {
                signal.Writer.TryWrite("changed");
            }
        });
        using var joined = hub.Join(conversation, self, ctx.User.FindFirstValue(ClaimTypes.Name) ?? "someone", () => signal.Writer.TryWrite("presence"));
        var ct = ctx.RequestAborted;
        string? lastPresence = null;
        try
        {
            await ctx.Response.WriteAsync("retry: 2000\n\n", ct);
            var quietFor = TimeSpan.Zero;
            while (!ct.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(ct);
                // Wake at least every 2 s so an expired "typing" disappears without another event.
                beat.CancelAfter(TimeSpan.FromSeconds(2));
                var kind = "tick";
                try
                {
                    kind = await signal.Reader.ReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }

                var sb = new StringBuilder();
                var presence = JsonSerializer.Serialize(hub.Others(conversation, self), Json);
                if (presence != lastPresence)
                {
                    sb.Append("event: presence\ndata: ").Append(presence).Append("\n\n");
                    lastPresence = presence;
                }

                if (kind == "changed")
                {
                    sb.Append("event: changed\ndata: ").Append(conversation).Append("\n\n");
                }

                quietFor = sb.Length == 0 ? quietFor + TimeSpan.FromSeconds(2) : TimeSpan.Zero;
                if (quietFor >= TimeSpan.FromSeconds(14))
                {
                    if (!await SessionCheck.StillValidAsync(db, ctx.User, ct))
                    {
                        return; // deactivated or signed out everywhere since the stream opened; leaving drops the presence
                    }

                    sb.Append(": keep-alive\n\n");
                    quietFor = TimeSpan.Zero;
                }

                if (sb.Length > 0)
                {
                    await ctx.Response.WriteAsync(sb.ToString(), Encoding.UTF8, ct);
                    await ctx.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away; disposing `joined` removes the viewer.
        }
    }

    private static async Task<IResult> RepliesFragmentAsync(HttpContext ctx, long conversation, Database db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        if (await ConversationAccess.VisibleAsync(conn, ctx.User, conversation) is null)
        {
            return Results.NotFound();
        }

        return new RazorComponentResult<ReplyList>(new { Replies = await ReplyFlow.RepliesAsync(conn, conversation) });
    }

    /// <summary>The approvals page's form: approve (with an optional edit) or reject, then back to the queue with the outcome.</summary>
    private static async Task<IResult> DecideFormAsync(long replyId, [FromForm] string? decision, [FromForm] string? text, [FromForm] string? comment,
        HttpContext ctx, ReplyFlow flow, CancellationToken ct)
    {
        var result = decision == "reject"
            ? await flow.RejectAsync(ctx.User, replyId, new RejectRequest(comment), ct)
            : await flow.ApproveAsync(ctx.User, replyId, new ApproveRequest(text, comment), ct);
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status404NotFound or StatusCodes.Status403Forbidden } refused)
        {
            // Someone else's reply, or not an approver: the same answer as the API, never a redirect that confirms the id.
            return Results.StatusCode(refused.StatusCode!.Value);
        }

        var (ok, message) = Describe(result);
        return Results.LocalRedirect("/approvals?" + (ok ? "done=" : "error=") + Uri.EscapeDataString(
            ok ? (decision == "reject" ? $"Reply {replyId} rejected." : $"Reply {replyId} approved.") : message));
    }

    private static async Task<IResult> ComplianceFormAsync([FromForm] string action, [FromForm] string? yaml, [FromForm] string? comment, [FromForm] long? id,
        HttpContext ctx, Database db, TimeProvider time, CancellationToken ct)
    {
        var result = action switch
        {
            "save" => await ComplianceAdmin.CreateAsync(new RuleSetRequest(yaml, comment), ctx.User, db, time, ct),
            "activate" when id is { } v => await ComplianceAdmin.ActivateAsync(v, ctx.User, db, time, ct),
            _ => ReplyFlow.Problem(400, "unknown action"),
        };
        var (ok, message) = Describe(result);
        return Results.LocalRedirect("/compliance?" + (ok ? "done=" + Uri.EscapeDataString(action == "save" ? "Saved a new version." : "Activated.")
            : "error=" + Uri.EscapeDataString(message)) + (id is { } i ? "&version=" + i : ""));
    }

    private static async Task<IResult> CannedFormAsync([FromForm] string action, [FromForm] string? shortcut, [FromForm] string? title, [FromForm] string? body,
        [FromForm] string? team, [FromForm] long? id, HttpContext ctx, Database db, TimeProvider time, CancellationToken ct)
    {
        var result = action == "delete" && id is { } d
            ? await CannedReplies.DeleteAsync(d, ctx.User, db, time, ct)
            : await CannedReplies.CreateAsync(new CannedReplyRequest(shortcut, title, body, team), ctx.User, db, time, ct);
        var (ok, message) = Describe(result);
        return Results.LocalRedirect("/canned?" + (ok ? "done=" + Uri.EscapeDataString(action == "delete" ? "Deleted." : "Saved.") : "error=" + Uri.EscapeDataString(message)));
    }

    /// <summary>Whether a handler's result is a success, and the problem's detail when it is not.</summary>
    private static (bool Ok, string Message) Describe(IResult result)
    {
        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? 200;
        if (status < 400)
        {
            return (true, "");
        }

        var detail = result switch
        {
            ProblemHttpResult p => p.ProblemDetails.Detail,
            JsonHttpResult<ComplianceProblem> c => c.Value?.Detail,
            JsonHttpResult<ActivationProblem> a => a.Value?.Detail,
            _ => null,
        };
        return (false, detail ?? $"refused ({status})");
    }
}
