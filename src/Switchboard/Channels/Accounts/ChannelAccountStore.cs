using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Switchboard.Storage;

namespace Switchboard.Channels.Accounts;

/// <summary>
/// A configured channel account. Secrets (tokens, app passwords, signing secrets) are decrypted only in memory for
/// the connector; ToString never prints them so they cannot leak into logs.
/// </summary>
internal sealed record ChannelAccount(
    long Id,
    string Kind,
    string Name,
    bool Enabled,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyDictionary<string, string> Secrets,
    TimeSpan? ExpectedInterval)
{
    public string? Setting(string key) => Settings.TryGetValue(key, out var v) ? v : null;

    public string? Secret(string key) => Secrets.TryGetValue(key, out var v) ? v : null;

    public override string ToString() => $"{Kind} account {Id} '{Name}' (secrets: {Secrets.Count}, redacted)";
}

/// <summary>Reads and writes channel accounts; encrypts secrets at rest with ASP.NET Core Data Protection.</summary>
internal sealed class ChannelAccountStore(Database db, IDataProtectionProvider protection, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("switchboard.channel-accounts.v1");

    public async Task<IReadOnlyList<ChannelAccount>> ListAsync(string? kind = null, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        var rows = await conn.QueryAsync<Row>(
            "SELECT id, kind, name, enabled, settings_json AS SettingsJson, secrets_protected AS SecretsProtected, " +
            "expected_interval_seconds AS ExpectedIntervalSeconds FROM channel_accounts " +
            (kind is null ? "ORDER BY id" : "WHERE kind = @kind ORDER BY id"), new { kind });
        return [.. rows.Select(Materialize)];
    }

    public async Task<ChannelAccount?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        var row = await conn.QueryFirstOrDefaultAsync<Row>(
            "SELECT id, kind, name, enabled, settings_json AS SettingsJson, secrets_protected AS SecretsProtected, " +
            "expected_interval_seconds AS ExpectedIntervalSeconds FROM channel_accounts WHERE id = @id", new { id });
        return row is null ? null : Materialize(row);
    }

    /// <summary>Creates an account inside the caller's transaction (so the audit record commits with it).</summary>
    public Task<long> CreateAsync(DbConnection conn, DbTransaction? tx, string kind, string name,
        IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> secrets, TimeSpan? expectedInterval)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return conn.ExecuteScalarAsync<long>(
            """
            INSERT INTO channel_accounts (kind, name, enabled, settings_json, secrets_protected, expected_interval_seconds, created_at, updated_at)
            VALUES (@kind, @name, 1, @settings, @secrets, @interval, @now, @now) RETURNING id
            """,
            new
            {
                kind,
                name,
                settings = JsonSerializer.Serialize(settings),
                secrets = secrets.Count == 0 ? null : _protector.Protect(JsonSerializer.Serialize(secrets)),
                interval = (long?)expectedInterval?.TotalSeconds,
                now,
            }, tx);
    }

    /// <summary>Replaces settings; secrets are replaced only when given (null keeps the stored ones, as forms never echo secrets).</summary>
    public Task<int> UpdateAsync(DbConnection conn, DbTransaction? tx, long id, string name, bool enabled,
        IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string>? secrets, TimeSpan? expectedInterval) =>
        conn.ExecuteAsync(
            """
            UPDATE channel_accounts SET name = @name, enabled = @enabled, settings_json = @settings,
              secrets_protected = CASE WHEN @replace = 1 THEN @secrets ELSE secrets_protected END,
              expected_interval_seconds = @interval, updated_at = @now
            WHERE id = @id
            """,
            new
            {
                id,
                name,
                enabled = enabled ? 1 : 0,
                settings = JsonSerializer.Serialize(settings),
                replace = secrets is null ? 0 : 1,
                secrets = secrets is null || secrets.Count == 0 ? null : _protector.Protect(JsonSerializer.Serialize(secrets)),
                interval = (long?)expectedInterval?.TotalSeconds,
                now = time.GetUtcNow().ToUnixTimeMilliseconds(),
            }, tx);

    private ChannelAccount Materialize(Row r) => new(
        r.Id,
        r.Kind,
        r.Name,
        r.Enabled != 0,
        JsonSerializer.Deserialize<Dictionary<string, string>>(r.SettingsJson) ?? [],
        Unprotect(r),
        r.ExpectedIntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

    /// <summary>
    /// Decrypts an account's secrets. When the Data Protection keys were lost (a restored database without its keys
    /// folder), that one account gets no secrets — its connector then fails visibly in health and asks for them again —
    /// instead of one undecryptable row stopping every connector and the accounts API.
    /// </summary>
    private Dictionary<string, string> Unprotect(Row r)
    {
        if (r.SecretsProtected is null)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(_protector.Unprotect(r.SecretsProtected)) ?? [];
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return [];
        }
    }

    private sealed record Row(long Id, string Kind, string Name, long Enabled, string SettingsJson, string? SecretsProtected, long? ExpectedIntervalSeconds);
}
