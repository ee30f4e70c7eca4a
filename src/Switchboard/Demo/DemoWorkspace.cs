using Dapper;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.Demo;

/// <summary>
/// Seeds the demo workspace once: agents with skills and languages in the eight default teams, three experts to ask
/// (Legal, HR policy, IT security), five listening topics, and their sign-ins (README). Idempotent: it does nothing
/// when the first demo user already exists.
/// </summary>
internal static class DemoWorkspace
{
    public const string Password = "switchboard-demo";

    internal sealed record DemoAgent(string Email, string Name, string Role, string[] Teams, string[] Skills, string[] Languages, int Capacity, bool Lead = false, string[]? Expertise = null);

    public static readonly DemoAgent[] Agents =
    [
        new("admin@demo.switchboard.local", "Alex Admin", "admin", ["customer-service", "public-relations"], ["Strategy", "Communicating"], ["en", "de"], 5, Lead: true),
        new("maria@demo.switchboard.local", "Maria Manager", "manager", ["customer-service", "marketing"], ["Strategy", "Training", "Change Management"], ["en", "es"], 6, Lead: true),
        new("carlos@demo.switchboard.local", "Carlos Care", "agent", ["customer-service"], ["Communicating", "Technical"], ["en", "es", "pt"], 8),
        new("fatima@demo.switchboard.local", "Fatima Care", "agent", ["customer-service"], ["Communicating"], ["en", "fr"], 8),
        new("tom@demo.switchboard.local", "Tom Trainee", "trainee", ["customer-service"], ["Communicating"], ["en"], 3),
        new("priya@demo.switchboard.local", "Priya PR", "agent", ["public-relations"], ["Strategy", "Communicating", "Content Development"], ["en"], 5, Lead: true),
        new("lena@demo.switchboard.local", "Lena Legal", "approver", ["public-relations"], ["Strategy"], ["en", "de"], 4, Expertise: ["Legal", "Privacy"]),
        new("marco@demo.switchboard.local", "Marco Marketing", "agent", ["marketing", "innovation"], ["Content Development", "Strategy"], ["en", "it"], 6),
        new("ines@demo.switchboard.local", "Ines Internal", "agent", ["internal-communications"], ["Change Management", "Communicating"], ["en", "pt"], 6),
        new("paul@demo.switchboard.local", "Paul Partners", "agent", ["partners-channel"], ["Strategy", "Communicating"], ["en", "nl"], 6),
        new("hana@demo.switchboard.local", "Hana HR", "agent", ["human-resources"], ["Training", "Communicating"], ["en", "de"], 6, Expertise: ["HR policy"]),
        new("ivan@demo.switchboard.local", "Ivan IT", "agent", ["it"], ["Technical"], ["en", "de"], 8, Expertise: ["IT security"]),
        new("nora@demo.switchboard.local", "Nora Innovation", "agent", ["innovation"], ["Content Development", "Technical", "Change Management"], ["en", "fr"], 5),
        new("erin@demo.switchboard.local", "Erin Executive", "analyst", [], ["Strategy"], ["en"], 0),
    ];

    /// <summary>
    /// Listening topics over the generated mentions, so the topics page and the inbox's topic filter have something to
    /// show: outages, product safety, money, the press and hiring. Mentions (@brightwave) are not words, so no topic
    /// names the brand: every demo post is about it.
    /// </summary>
    public static readonly (string Name, string Query)[] Topics =
    [
        ("Outages", "outage* OR \"no internet\" OR down OR crash*"),
        ("Product safety", "fire OR overheat* OR recall OR dangerous"),
        ("Refunds and billing", "refund* OR \"charged twice\" OR bill"),
        ("Press enquiries", "journalist OR reporter OR \"press office\""),
        ("Careers", "hiring OR internship* OR recruiter* OR interview*"),
    ];

    public static async Task<bool> SeedAsync(Database db, TimeProvider time, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        if (await Users.FindAsync(conn, Agents[0].Email) is not null)
        {
            return false;
        }

        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var teams = (await conn.QueryAsync<(long Id, string Slug)>("SELECT id, slug FROM teams", transaction: tx)).ToDictionary(t => t.Slug, t => t.Id);
        foreach (var a in Agents)
        {
            var id = await conn.ExecuteScalarAsync<long>(
                """
                INSERT INTO users (email, display_name, role, password_hash, skills, languages, capacity, created_at)
                VALUES (@email, @name, @role, @hash, @skills, @languages, @capacity, @now) RETURNING id
                """,
                new
                {
                    email = a.Email,
                    name = a.Name,
                    role = a.Role,
                    hash = Users.HashPassword(a.Email, Password),
                    skills = string.Join(',', a.Skills),
                    languages = string.Join(',', a.Languages),
                    capacity = a.Capacity,
                    now,
                }, tx);
            foreach (var t in a.Teams)
            {
                await conn.ExecuteAsync("INSERT INTO team_members (team_id, user_id, is_lead) VALUES (@t, @u, @l)",
                    new { t = teams[t], u = id, l = a.Lead ? 1 : 0 }, tx);
            }

            // A few experts, so "Ask an expert" has someone to ask in the demo (stored one area per line, as the people page does).
            if (a.Expertise is { Length: > 0 } areas)
            {
                await conn.ExecuteAsync("INSERT INTO experts (user_id, areas, updated_at) VALUES (@id, @areas, @now)",
                    new { id, areas = string.Join('\n', areas), now }, tx);
            }
        }

        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Adds <see cref="Topics"/> for `serve --demo` (run right after <see cref="SeedAsync"/> seeded the users). Kept apart
    /// because tests seed the demo users into servers whose topics they count.
    /// </summary>
    public static async Task SeedTopicsAsync(Database db, TimeProvider time, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var admin = await conn.ExecuteScalarAsync<long>("SELECT id FROM users WHERE email = @e", new { e = Agents[0].Email }, tx);
        foreach (var (name, query) in Topics)
        {
            // Version 1, backfilled to 0: the backfill scans whatever is already stored, like a topic made on the page.
            await conn.ExecuteAsync(
                """
                INSERT INTO topics (name, query, status, version, match_count, backfilled_version, backfill_cursor, backfill_target, created_by, created_at, updated_at)
                VALUES (@name, @query, 'active', 1, 0, 0, 0, NULL, @admin, @now, @now)
                """, new { name, query, admin, now }, tx);
        }

        await tx.CommitAsync(ct);
    }
}
