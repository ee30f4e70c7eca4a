using System.Globalization;
using System.Text;
using Dapper;
using Switchboard.Api;
using Switchboard.Auth;
using Switchboard.Inbox;
using Switchboard.Storage;

namespace Switchboard.Reports;

/// <summary>
/// KPIs for managers and executives (docs/reports.md): `GET /api/reports/kpis` (JSON), `GET /reports/conversations.csv`
/// (one row per conversation, formula-safe) and the /reports page (Components/ReportsPage.razor).
/// </summary>
internal static class ReportsSetup
{
    /// <summary>The digest loop runs wherever background work runs (not in processes started with
    /// SWITCHBOARD_SLA_SCHEDULER=0, which serve requests only).</summary>
    public static void AddReports(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DigestScheduler>();
        if (Environment.GetEnvironmentVariable(Routing.RoutingSetup.SchedulerVariable) != "0")
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DigestScheduler>());
        }
    }

    public static void MapReports(this WebApplication app, RouteGroupBuilder api)
    {
        api.MapGet("/reports/kpis", KpisAsync).RequireAuthorization(Policies.Reports).WithTags("Reports")
            .WithSummary("KPIs of conversations started in a period (from, to: yyyy-MM-dd inclusive; zone: IANA id, default UTC; team; channel; response_target minutes, default 60)");
        app.MapGet("/reports/conversations.csv", ExportAsync).RequireAuthorization(Policies.Reports).WithTags("Reports")
            .WithSummary("The conversations a report counts, one row each, as CSV (formula-safe); same filters as /api/reports/kpis");
    }

    /// <summary>The longest first-response target a report accepts: a week, in minutes.</summary>
    public const int MaxResponseTargetMinutes = 7 * 24 * 60;

    /// <summary>Reads a report's filters; every malformed one is named (an export must not silently widen).</summary>
    public static async Task<(ReportQuery? Query, string? Error)> ParseAsync(System.Data.Common.DbConnection conn, string? from, string? to, string? zone,
        string? team, string? channel, string? responseTarget, DateTimeOffset now)
    {
        var (period, error) = ReportPeriod.Parse(from, to, zone, now);
        if (period is null)
        {
            return (null, error);
        }

        var target = Kpis.DefaultResponseTarget;
        if (!string.IsNullOrWhiteSpace(responseTarget))
        {
            if (!int.TryParse(responseTarget, NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || minutes < 1 || minutes > MaxResponseTargetMinutes)
            {
                return (null, $"response_target must be a whole number of minutes from 1 to {MaxResponseTargetMinutes}");
            }

            target = TimeSpan.FromMinutes(minutes);
        }

        team = string.IsNullOrWhiteSpace(team) ? null : team.Trim();
        if (team is not null && (team.Length > 100 || await conn.ExecuteScalarAsync<long?>("SELECT id FROM teams WHERE slug = @team", new { team }) is null))
        {
            return (null, $"no team '{(team.Length > 40 ? team[..40] + "…" : team)}'");
        }

        channel = string.IsNullOrWhiteSpace(channel) ? null : channel.Trim();
        if (channel is { Length: > 64 })
        {
            return (null, "channel is longer than 64 characters");
        }

        return (new ReportQuery(period, target, team, channel), null);
    }

    static async Task<IResult> KpisAsync(string? from, string? to, string? zone, string? team, string? channel, string? response_target,
        HttpContext ctx, Database db, TimeProvider time)
    {
        var ct = ctx.RequestAborted;
        await using var conn = await db.OpenAsync(ct);
        var (query, error) = await ParseAsync(conn, from, to, zone, team, channel, response_target, time.GetUtcNow());
        if (query is null)
        {
            return Problems.BadRequest(error!);
        }

        var report = await KpiQueries.LoadAsync(conn, await AccessScope.LoadAsync(conn, ctx.User), query, ct);
        return TypedResults.Ok(KpiReportDto.Of(report, query));
    }

    static async Task<IResult> ExportAsync(string? from, string? to, string? zone, string? team, string? channel, string? response_target,
        HttpContext ctx, Database db, TimeProvider time)
    {
        var ct = ctx.RequestAborted;
        await using var conn = await db.OpenAsync(ct);
        var (query, error) = await ParseAsync(conn, from, to, zone, team, channel, response_target, time.GetUtcNow());
        if (query is null)
        {
            return Problems.BadRequest(error!);
        }

        var facts = await KpiQueries.FactsAsync(conn, await AccessScope.LoadAsync(conn, ctx.User), query, ct);
        ctx.Response.ContentType = "text/csv; charset=utf-8";
        ctx.Response.Headers.ContentDisposition =
            $"attachment; filename=\"conversations-{query.Period.From:yyyyMMdd}-{query.Period.To:yyyyMMdd}.csv\"";
        await using var w = new StreamWriter(ctx.Response.Body, new UTF8Encoding(false), leaveOpen: true);
        await w.WriteAsync(CsvHeader);
        foreach (var f in facts)
        {
            await w.WriteAsync(CsvRow(f, query.Period.Zone));
        }

        await w.FlushAsync(ct);
        return Results.Empty;
    }

    public static string CsvHeader => CsvField.Row(
    [
        "id", "channel", "team", "assignee", "status", "sentiment", "created_local", "first_response_minutes", "resolution_minutes",
        "sla", "breached_first_response", "breached_next_response", "breached_resolution", "escalation_level", "acknowledge_minutes",
    ]);

    public static string CsvRow(ConversationFact f, TimeZoneInfo zone) => CsvField.Row(
    [
        f.Id.ToString(CultureInfo.InvariantCulture),
        f.Channel,
        f.Team,
        f.Assignee,
        f.Status,
        f.Sentiment,
        TimeZoneInfo.ConvertTime(f.CreatedAt, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        Minutes(f.FirstResponse),
        Minutes(f.Resolution),
        f.HasSla ? "yes" : "no",
        f.FirstResponseBreached ? "yes" : "no",
        f.NextResponseBreached ? "yes" : "no",
        f.ResolutionBreached ? "yes" : "no",
        f.EscalationLevel.ToString(CultureInfo.InvariantCulture),
        Minutes(f.ToAcknowledge),
    ]);

    static string? Minutes(TimeSpan? t) => t?.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture);
}
