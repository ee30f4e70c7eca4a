using System.Data.Common;
using System.Globalization;
using Dapper;
using Switchboard.Audit;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;
using Switchboard.Storage;

namespace Switchboard.Channels.Admin;

/// <summary>An account as someone submits it (API JSON, UI form, YAML entry). Secrets are write-only.</summary>
internal sealed record ChannelAccountInput(
    string? Kind,
    string? Name,
    bool? Enabled,
    Dictionary<string, string>? Settings,
    Dictionary<string, string>? Secrets,
    long? ExpectedIntervalSeconds);

/// <summary>Outcome of a change: the account id, or why not (Status is the HTTP status the API answers with).</summary>
internal sealed record ChangeResult(long? Id, int Status, IReadOnlyList<string> Errors)
{
    public static ChangeResult Done(long id) => new(id, 200, []);
    public static ChangeResult Fail(int status, params string[] errors) => new(null, status, errors);
    public bool Ok => Id is not null;
}

/// <summary>
/// Creating, editing and deleting channel accounts: validation (Domain rules), the change and its audit record in one
/// transaction, then a signal so the connector host applies it at once. Audit records name the secrets that changed,
/// never their values.
/// </summary>
internal sealed class ChannelAccountCommands(Database db, ChannelAccountStore store, ConnectorSignal signal, TimeProvider time)
{
    public async Task<ChangeResult> CreateAsync(ChannelAccountInput input, Func<string, string, object?, object?, AuditEntry> audit, CancellationToken ct)
    {
        var kind = input.Kind?.Trim() ?? "";
        var name = input.Name?.Trim() ?? "";
        var settings = Clean(input.Settings);
        var secrets = Clean(input.Secrets);
        var errors = ChannelAccountRules.Validate(kind, name, settings, secrets, input.ExpectedIntervalSeconds);
        if (errors.Count > 0)
            return ChangeResult.Fail(400, [.. errors]);
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await NameTakenAsync(conn, tx, name, null))
            return ChangeResult.Fail(409, $"an account named '{name}' already exists");
        var id = await store.CreateAsync(conn, tx, kind, name, settings, secrets, Interval(input.ExpectedIntervalSeconds));
        if (input.Enabled == false)
            await conn.ExecuteAsync("UPDATE channel_accounts SET enabled = 0 WHERE id = @id", new { id }, tx);
        await AuditLog.WriteAsync(conn, tx, audit("channel.created", Id(id), null,
            new { kind, name, enabled = input.Enabled != false, settings, secrets = secrets.Keys.Order().ToArray(), input.ExpectedIntervalSeconds }), time);
        await tx.CommitAsync(ct);
        signal.Notify();
        return ChangeResult.Done(id);
    }

    /// <summary>
    /// Replaces the account's name, settings and interval. Secrets merge: a given non-empty value replaces that secret,
    /// an empty value removes it, an absent key keeps it (forms never echo secrets back). Null fields keep their value.
    /// </summary>
    public async Task<ChangeResult> UpdateAsync(long id, ChannelAccountInput input, Func<string, string, object?, object?, AuditEntry> audit, CancellationToken ct)
    {
        var existing = await store.GetAsync(id, ct);
        if (existing is null)
            return ChangeResult.Fail(404, $"no channel account {id}");
        if (input.Kind is { } k && k.Trim() != existing.Kind)
            return ChangeResult.Fail(400, "the kind of an account cannot change: create a new account");
        var name = input.Name?.Trim() ?? existing.Name;
        var settings = input.Settings is null ? new Dictionary<string, string>(existing.Settings) : Clean(input.Settings);
        var given = input.Secrets ?? [];
        var secrets = new Dictionary<string, string>(existing.Secrets);
        foreach (var (key, value) in given)
        {
            if (string.IsNullOrEmpty(value))
                secrets.Remove(key);
            else
                secrets[key] = value;
        }
        var interval = input.ExpectedIntervalSeconds ?? (long?)existing.ExpectedInterval?.TotalSeconds;
        var errors = ChannelAccountRules.Validate(existing.Kind, name, settings, Clean(given), interval, secrets.Keys);
        if (errors.Count > 0)
            return ChangeResult.Fail(400, [.. errors]);
        var enabled = input.Enabled ?? existing.Enabled;
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await NameTakenAsync(conn, tx, name, id))
            return ChangeResult.Fail(409, $"an account named '{name}' already exists");
        await store.UpdateAsync(conn, tx, id, name, enabled, settings, given.Count == 0 ? null : secrets, Interval(interval));
        await AuditLog.WriteAsync(conn, tx, audit("channel.updated", Id(id),
            new { existing.Name, existing.Enabled, existing.Settings, interval = existing.ExpectedInterval?.TotalSeconds },
            new { name, enabled, settings, interval, secretsChanged = given.Keys.Order().ToArray() }), time);
        await tx.CommitAsync(ct);
        signal.Notify();
        return ChangeResult.Done(id);
    }

    /// <summary>Deletes the account with its health and alerts; the messages it delivered stay.</summary>
    public async Task<ChangeResult> DeleteAsync(long id, Func<string, string, object?, object?, AuditEntry> audit, CancellationToken ct)
    {
        var existing = await store.GetAsync(id, ct);
        if (existing is null)
            return ChangeResult.Fail(404, $"no channel account {id}");
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("DELETE FROM channel_alerts WHERE account_id = @id", new { id }, tx);
        await conn.ExecuteAsync("DELETE FROM channel_health WHERE account_id = @id", new { id }, tx);
        await conn.ExecuteAsync("DELETE FROM channel_accounts WHERE id = @id", new { id }, tx);
        await AuditLog.WriteAsync(conn, tx, audit("channel.deleted", Id(id), new { existing.Kind, existing.Name, existing.Settings }, null), time);
        await tx.CommitAsync(ct);
        signal.Notify();
        return ChangeResult.Done(id);
    }

    private static Task<bool> NameTakenAsync(DbConnection conn, DbTransaction tx, string name, long? except) =>
        conn.ExecuteScalarAsync<bool>("SELECT COUNT(*) > 0 FROM channel_accounts WHERE name = @name AND (@except IS NULL OR id <> @except)",
            new { name, except }, tx);

    private static Dictionary<string, string> Clean(Dictionary<string, string>? values) =>
        (values ?? []).Where(p => !string.IsNullOrWhiteSpace(p.Value)).ToDictionary(p => p.Key.Trim(), p => p.Value.Trim());

    private static TimeSpan? Interval(long? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
