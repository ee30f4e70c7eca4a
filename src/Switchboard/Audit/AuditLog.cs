using System.Data.Common;
using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Switchboard.Storage;

namespace Switchboard.Audit;

/// <summary>One audited action: who did what to which entity, with the state before and after (any JSON-serialisable value).</summary>
internal sealed record AuditEntry(long? ActorId, string Actor, string Action, string Entity, string? EntityId, object? Before = null, object? After = null)
{
    /// <summary>An action by a signed-in user (cookie or API token).</summary>
    public static AuditEntry By(ClaimsPrincipal user, string action, string entity, string? entityId, object? before = null, object? after = null) =>
        new(Auth.Principal.UserId(user) is var id and > 0 ? id : null,
            user.FindFirstValue(ClaimTypes.Email) ?? "unknown", action, entity, entityId, before, after);

    /// <summary>An action Switchboard took by itself (a timer, a connector, the pipeline).</summary>
    public static AuditEntry BySystem(string component, string action, string entity, string? entityId, object? before = null, object? after = null) =>
        new(null, "system:" + component, action, entity, entityId, before, after);
}

/// <summary>
/// Appends to the audit trail inside the caller's transaction, so an action and its audit record commit together or
/// not at all. Every state change in the product goes through here.
/// </summary>
internal static class AuditLog
{
    // Relaxed escaping: the stored JSON is read by people on the audit page and in the CSV export, where "\u0027crisis\u0027"
    // hides the words. Neither embeds it raw in HTML: the page encodes it, and the export neutralises formulas.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(DbConnection conn, DbTransaction? tx, AuditEntry entry, TimeProvider time) =>
        conn.ExecuteCachedAsync(
            """
            INSERT INTO audit_log (at, actor_id, actor, action, entity, entity_id, before_json, after_json)
            VALUES (@at, @actorId, @actor, @action, @entity, @entityId, @before, @after)
            """,
            new
            {
                at = time.GetUtcNow().ToUnixTimeMilliseconds(),
                actorId = entry.ActorId,
                actor = entry.Actor,
                action = entry.Action,
                entity = entry.Entity,
                entityId = entry.EntityId,
                before = entry.Before is null ? null : JsonSerializer.Serialize(entry.Before, Json),
                after = entry.After is null ? null : JsonSerializer.Serialize(entry.After, Json),
            }, tx);
}
