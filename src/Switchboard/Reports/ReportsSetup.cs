using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Mvc;
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
    public static async Task<(ReportQuery? Query, string? Error)> ParseAsync(System.Data.Common.DbConnection conn, ReportFilters filters, DateTimeOffset now)
    {
        var (from, to, zone, team, channel, responseTarget) = filters;
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

    /// <summary>The report a request asks for, read in the caller's scope; null with the 400 naming a malformed filter.</summary>
    static async Task<(ReportQuery? Query, AccessScope? Scope, IResult? Refusal)> ReadAsync(System.Data.Common.DbConnection conn, ReportFilters filters,
        HttpContext ctx, TimeProvider time)
    {
        var (query, error) = await ParseAsync(conn, filters, time.GetUtcNow());
        return query is null
            ? (null, null, Problems.BadRequest(error!))
            : (query, await AccessScope.LoadAsync(conn, ctx.User), null);
    }

    static async Task<IResult> KpisAsync([AsParameters] ReportFilters filters, HttpContext ctx, Database db, TimeProvider time)
    {
        await using var conn = await db.OpenAsync(ctx.RequestAborted);
        var (query, scope, refusal) = await ReadAsync(conn, filters, ctx, time);
        if (query is null || scope is null)
        {
            return refusal!;
        }

        return TypedResults.Ok(KpiReportDto.Of(await KpiQueries.LoadAsync(conn, scope, query, ctx.RequestAborted), query));
    }

    static async Task<IResult> ExportAsync([AsParameters] ReportFilters filters, HttpContext ctx, Database db, TimeProvider time)
    {
        var ct = ctx.RequestAborted;
        await using var conn = await db.OpenAsync(ct);
        var (query, scope, refusal) = await ReadAsync(conn, filters, ctx, time);
        if (query is null || scope is null)
        {
            return refusal!;
        }

        var facts = await KpiQueries.FactsAsync(conn, scope, query, ct);
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

/// <summary>A report's query string, as the API, the export and the page read it.</summary>
internal sealed record ReportFilters(
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "zone")] string? Zone,
    [property: FromQuery(Name = "team")] string? Team,
    [property: FromQuery(Name = "channel")] string? Channel,
    [property: FromQuery(Name = "response_target")] string? ResponseTarget);
