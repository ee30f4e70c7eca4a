using System.Data.Common;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using Switchboard.Audit;
using Switchboard.Auth;
using Switchboard.Storage;

namespace Switchboard.People;

/// <summary>One person as the /people page and the API show them: the profile plus presence and current load.</summary>
internal sealed record PersonDto(long Id, string Email, string Name, string Role, bool Available, IReadOnlyList<TeamSeat> Teams,
    IReadOnlyList<string> Channels, IReadOnlyList<string> Skills, IReadOnlyList<string> Languages, int Capacity,
    IReadOnlyList<string> ExpertAreas, int OpenConversations, DateTimeOffset? DeactivatedAt)
{
    public bool Active => DeactivatedAt is null;
}

/// <summary>What a deactivation released: conversations put back to their team, hand-overs cancelled, replies withdrawn from approval.</summary>
internal sealed record DeactivationDto(PersonDto Person, IReadOnlyList<long> ReleasedConversations, IReadOnlyList<long> CancelledHandovers,
    IReadOnlyList<long> WithdrawnReplies, int Reassigned);

/// <summary>The body of POST and PUT /api/people; omitted lists mean "none", an omitted capacity keeps the current one (5 for a new person).</summary>
internal sealed record PersonRequest(string? Email, string? Name, string? Role, IReadOnlyList<TeamSeat>? Teams, IReadOnlyList<string>? Channels,
    IReadOnlyList<string>? Skills, IReadOnlyList<string>? Languages, int? Capacity, IReadOnlyList<string>? ExpertAreas, string? Password);

internal sealed record PersonResult(PersonDto? Person, int Status, string? Error)
{
    public static PersonResult Fail(int status, string error) => new(null, status, error);
}

/// <summary>
/// Reads and writes people: users with their team seats, channel scope, skills, languages, capacity and expert areas.
/// Each change is one transaction with its audit record (before and after); the checks are <see cref="PersonRules"/>.
/// </summary>
internal sealed class PeopleStore(Database db, Sla.SlaRuntime sla, Inbox.InboxFeed feed, TimeProvider time)
{
    public const int MinPassword = 12;

    public async Task<IReadOnlyList<PersonDto>> ListAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        return await LoadAsync(conn, null, null);
    }

    public async Task<PersonDto?> GetAsync(long id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var found = await LoadAsync(conn, null, id);
        return found.Count > 0 ? found[0] : null;
    }

    public static async Task<IReadOnlyList<(long Id, string Slug, string Name)>> TeamsAsync(DbConnection conn, DbTransaction? tx = null) =>
        [.. await conn.QueryAsync<(long, string, string)>("SELECT id, slug, name FROM teams ORDER BY name, id", transaction: tx)];

    internal static async Task<IReadOnlyList<PersonDto>> LoadAsync(DbConnection conn, DbTransaction? tx, long? only)
    {
        var where = only is null ? "" : " WHERE u.id = @only";
        var users = await conn.QueryAsync<(long Id, string Email, string Name, string Role, long Available, string Skills, string Languages, long Capacity, long? Deactivated)>(
            $"SELECT u.id, u.email, u.display_name, u.role, u.available, u.skills, u.languages, u.capacity, u.deactivated_at FROM users u{where} ORDER BY u.display_name, u.id",
            new { only }, tx);
        var seats = (await conn.QueryAsync<(long User, string Slug, long Lead)>(
            $"SELECT tm.user_id, t.slug, tm.is_lead FROM team_members tm JOIN teams t ON t.id = tm.team_id{(only is null ? "" : " WHERE tm.user_id = @only")} ORDER BY t.name",
            new { only }, tx)).ToLookup(s => s.User);
        var channels = (await conn.QueryAsync<(long User, string Channel)>(
            $"SELECT user_id, channel FROM user_channels{(only is null ? "" : " WHERE user_id = @only")} ORDER BY channel", new { only }, tx)).ToLookup(c => c.User);
        var areas = (await conn.QueryAsync<(long User, string Areas)>(
            $"SELECT user_id, areas FROM experts{(only is null ? "" : " WHERE user_id = @only")}", new { only }, tx)).ToDictionary(a => a.User, a => a.Areas);
        var load = (await conn.QueryAsync<(long User, long Open)>(
            $"SELECT assignee_id, COUNT(*) FROM conversations WHERE assignee_id IS NOT NULL AND status <> 'resolved'{(only is null ? "" : " AND assignee_id = @only")} GROUP BY assignee_id",
            new { only }, tx)).ToDictionary(l => l.User, l => (int)l.Open);
        return [.. users.Select(u => new PersonDto(u.Id, u.Email, u.Name, u.Role, u.Available == 1,
            [.. seats[u.Id].Select(s => new TeamSeat(s.Slug, s.Lead == 1))],
            [.. channels[u.Id].Select(c => c.Channel)],
            Split(u.Skills, ','), Split(u.Languages, ','), (int)u.Capacity,
            areas.TryGetValue(u.Id, out var a) ? Split(a, '\n') : [],
            load.GetValueOrDefault(u.Id), u.Deactivated is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null))];
    }

    static string[] Split(string s, char sep) => s.Split(sep, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public async Task<PersonResult> CreateAsync(ClaimsPrincipal editor, PersonRequest body, CancellationToken ct)
    {
        var email = (body.Email ?? "").Trim().ToLowerInvariant();
        if (email.Length is 0 or > 254 || !email.Contains('@', StringComparison.Ordinal) || email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return PersonResult.Fail(400, "email: a valid email address is required (it is how the person signs in)");
        if (body.Password is not { Length: >= MinPassword })
            return PersonResult.Fail(400, $"password: at least {MinPassword} characters");
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (profile, error) = await CheckAsync(conn, tx, editor, body, null, null);
        if (profile is null)
            return PersonResult.Fail(error!.Value.Status, error.Value.Message);
        if (await Users.FindAsync(conn, email) is not null)
            return PersonResult.Fail(409, $"email: {email} already has an account");
        var id = await conn.ExecuteScalarAsync<long>(
            "INSERT INTO users (email, display_name, role, password_hash, skills, languages, capacity, created_at) VALUES (@email, @name, @role, @hash, '', '', 5, @now) RETURNING id",
            new { email, name = profile.Name, role = profile.Role, hash = Users.HashPassword(email, body.Password), now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        await WriteAsync(conn, tx, id, profile);
        var after = (await LoadAsync(conn, tx, id))[0];
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(editor, "person.create", "user", Id(id), null, Audited(after)), time);
        await tx.CommitAsync(ct);
        await OfferHoldingAsync(after.Teams, ct);
        return new PersonResult(after, 201, null);
    }

    public async Task<PersonResult> UpdateAsync(ClaimsPrincipal editor, long id, PersonRequest body, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var found = await LoadAsync(conn, tx, id);
        if (found.Count == 0)
            return PersonResult.Fail(404, $"no person {id}");
        var before = found[0];
        var (profile, error) = await CheckAsync(conn, tx, editor, body, before.Role, before);
        if (profile is null)
            return PersonResult.Fail(error!.Value.Status, error.Value.Message);
        if (body.Password is { Length: > 0 } password)
        {
            // A password is reset by an admin only, and it must be as strong as a new one.
            if (!editor.IsInRole(Roles.Admin))
                return PersonResult.Fail(403, "password: only an admin can set another person's password");
            if (password.Length < MinPassword)
                return PersonResult.Fail(400, $"password: at least {MinPassword} characters");
            // A reset ends every session the person had (a stolen cookie stops working with the old password).
            await conn.ExecuteAsync("UPDATE users SET password_hash = @hash, session_stamp = session_stamp + 1 WHERE id = @id",
                new { hash = Users.HashPassword(before.Email, password), id }, tx);
        }
        await WriteAsync(conn, tx, id, profile);
        var after = (await LoadAsync(conn, tx, id))[0];
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(editor, "person.update", "user", Id(id), Audited(before),
            Audited(after) with { PasswordChanged = body.Password is { Length: > 0 } }), time);
        await tx.CommitAsync(ct);
        // More capacity or a new team seat may fit a conversation waiting in a holding queue.
        if (after.Capacity > before.Capacity || after.Teams.Any(t => before.Teams.All(b => b.Team != t.Team)))
            await OfferHoldingAsync(after.Teams, ct);
        return new PersonResult(after, 200, null);
    }

    /// <summary>
    /// Ends a person's access without deleting them: sign-in refused, sessions and API tokens ended, marked away, no
    /// longer offered conversations, hand-overs or mentions. Their open conversations go back to their team (held and
    /// offered to the eligible members at once); hand-overs waiting on them as the expert are cancelled and the asking
    /// agent is told; their replies still waiting for approval are withdrawn, so nothing leaves under the name of someone
    /// who no longer works here. Everything they wrote stays, with their name.
    /// </summary>
    public async Task<(DeactivationDto? Result, int Status, string? Error)> DeactivateAsync(ClaimsPrincipal editor, long id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (before, status, error) = await CheckStatusChangeAsync(conn, tx, editor, id);
        if (before is null)
            return (null, status, error);
        if (!before.Active)
            return (null, 409, $"{before.Email} is already deactivated");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await conn.ExecuteAsync(
            "UPDATE users SET deactivated_at = @now, available = 0, session_stamp = session_stamp + 1 WHERE id = @id", new { now, id }, tx);
        await conn.ExecuteAsync("UPDATE api_tokens SET revoked_at = @now WHERE user_id = @id AND revoked_at IS NULL", new { now, id }, tx);
        var released = (await conn.QueryAsync<long>(
            "SELECT id FROM conversations WHERE assignee_id = @id AND status <> 'resolved' ORDER BY id", new { id }, tx)).ToList();
        // Held (not merely unassigned) so the team's holding queue offers them to whoever is eligible, oldest first.
        await conn.ExecuteAsync(
            """
            UPDATE conversations SET assignee_id = NULL, holding_since = CASE WHEN team_id IS NULL THEN NULL ELSE @now END, updated_at = @now
            WHERE assignee_id = @id AND status <> 'resolved'
            """, new { now, id }, tx);
        var handovers = (await conn.QueryAsync<(long Id, long Conversation, long Agent)>(
            "SELECT id, conversation_id, agent_id FROM handovers WHERE expert_id = @id AND status = 'open' ORDER BY id", new { id }, tx)).ToList();
        await conn.ExecuteAsync(
            "UPDATE handovers SET status = 'cancelled', reason = @reason, closed_at = @now, updated_at = @now WHERE expert_id = @id AND status = 'open'",
            new { reason = $"{before.Name} was deactivated", now, id }, tx);
        foreach (var h in handovers)
        {
            await Notifications.NotificationStore.AddAsync(conn, tx, h.Agent, "handover", h.Conversation,
                $"Your hand-over #{h.Id} to {before.Name} was cancelled: {before.Name} was deactivated. Ask another expert.", time);
        }
        // An approver would otherwise still see these in the queue, and approving one would send it under the name of
        // someone who has left. Replies already approved or sending were decided while the author was here and go out.
        var withdrawn = (await conn.QueryAsync<(long Id, long Conversation)>(
            "SELECT id, conversation_id FROM replies WHERE author_id = @id AND status = 'pending_approval' ORDER BY id", new { id }, tx)).ToList();
        await conn.ExecuteAsync(
            "UPDATE replies SET status = 'withdrawn', error = @reason, updated_at = @now WHERE author_id = @id AND status = 'pending_approval'",
            new { reason = $"withdrawn: {before.Name} was deactivated before it was approved", now, id }, tx);
        var after = (await LoadAsync(conn, tx, id))[0];
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(editor, "person.deactivate", "user", Id(id), new { active = true },
            new { active = false, releasedConversations = released, cancelledHandovers = handovers.Select(h => h.Id), withdrawnReplies = withdrawn.Select(r => r.Id) }), time);
        await tx.CommitAsync(ct);
        // Open inboxes and conversation views show the released conversations, cancelled hand-overs and withdrawn replies at once.
        var touched = released.Concat(handovers.Select(h => h.Conversation)).Concat(withdrawn.Select(r => r.Conversation)).Distinct().ToArray();
        if (touched.Length > 0)
            feed.Publish(touched);
        var reassigned = released.Count == 0 ? 0 : await sla.OfferHoldingAsync(before.Teams.Select(t => t.Team).ToHashSet(StringComparer.Ordinal), ct);
        return (new DeactivationDto(after, released, [.. handovers.Select(h => h.Id)], [.. withdrawn.Select(r => r.Id)], reassigned), 200, null);
    }

    /// <summary>Gives a deactivated person their access back; they sign in again, mark themselves available, and need new API tokens.</summary>
    public async Task<PersonResult> ReactivateAsync(ClaimsPrincipal editor, long id, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var (before, status, error) = await CheckStatusChangeAsync(conn, tx, editor, id);
        if (before is null)
            return PersonResult.Fail(status, error!);
        if (before.Active)
            return PersonResult.Fail(409, $"{before.Email} is active");
        await conn.ExecuteAsync("UPDATE users SET deactivated_at = NULL WHERE id = @id", new { id }, tx);
        var after = (await LoadAsync(conn, tx, id))[0];
        await AuditLog.WriteAsync(conn, tx, AuditEntry.By(editor, "person.reactivate", "user", Id(id), new { active = false }, new { active = true }), time);
        await tx.CommitAsync(ct);
        return new PersonResult(after, 200, null);
    }

    async Task<(PersonDto? Person, int Status, string? Error)> CheckStatusChangeAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal editor, long id)
    {
        var found = await LoadAsync(conn, tx, id);
        if (found.Count == 0)
            return (null, 404, $"no person {id}");
        var (editorRole, editorTeams) = await EditorAsync(conn, tx, editor);
        return (PersonRules.MayDeactivate(editorRole, id == editor.UserId(), found[0].Role) ?? PersonRules.OutOfReach(editorRole, editorTeams, found[0].Teams)) is { } refused
            ? (null, 403, refused)
            : (found[0], 200, null);
    }

    async Task<(PersonProfile? Profile, (int Status, string Message)? Error)> CheckAsync(DbConnection conn, DbTransaction tx, ClaimsPrincipal editor,
        PersonRequest body, string? currentRole, PersonDto? before)
    {
        var teams = (await TeamsAsync(conn, tx)).Select(t => t.Slug).ToHashSet(StringComparer.Ordinal);
        var input = new PersonProfile(body.Name ?? "", body.Role ?? "", body.Teams ?? [], body.Channels ?? [], body.Skills ?? [],
            body.Languages ?? [], body.Capacity ?? before?.Capacity ?? 5, body.ExpertAreas ?? []);
        var (profile, errors) = PersonRules.Check(input, teams);
        if (profile is null)
            return (null, (400, string.Join("; ", errors)));
        var (editorRole, editorTeams) = await EditorAsync(conn, tx, editor);
        var self = before is not null && before.Id == editor.UserId();
        if ((PersonRules.MayChange(editorRole, self, currentRole, profile.Role)
             ?? PersonRules.MayReach(editorRole, self, editorTeams, before is null ? null : (before.Teams, before.Channels), profile)) is { } refused)
            return (null, (403, refused));
        return (profile, null);
    }

    /// <summary>The editor's role and team seats, which bound whom a manager may change (<see cref="PersonRules.MayReach"/>).</summary>
    internal static async Task<(string Role, IReadOnlySet<string> Teams)> EditorAsync(DbConnection conn, DbTransaction? tx, ClaimsPrincipal editor)
    {
        var id = editor.UserId();
        var role = await conn.QueryFirstOrDefaultAsync<string>("SELECT role FROM users WHERE id = @id", new { id }, tx) ?? "";
        var teams = await conn.QueryAsync<string>(
            "SELECT t.slug FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = @id", new { id }, tx);
        return (role, teams.ToHashSet(StringComparer.Ordinal));
    }

    async Task WriteAsync(DbConnection conn, DbTransaction tx, long id, PersonProfile p)
    {
        await conn.ExecuteAsync("UPDATE users SET display_name = @name, role = @role, skills = @skills, languages = @languages, capacity = @capacity WHERE id = @id",
            new { name = p.Name, role = p.Role, skills = string.Join(',', p.Skills), languages = string.Join(',', p.Languages), capacity = p.Capacity, id }, tx);
        await conn.ExecuteAsync("DELETE FROM team_members WHERE user_id = @id", new { id }, tx);
        foreach (var seat in p.Teams)
        {
            await conn.ExecuteAsync("INSERT INTO team_members (team_id, user_id, is_lead) SELECT id, @id, @lead FROM teams WHERE slug = @slug",
                new { id, lead = seat.Lead ? 1 : 0, slug = seat.Team }, tx);
        }
        await conn.ExecuteAsync("DELETE FROM user_channels WHERE user_id = @id", new { id }, tx);
        foreach (var channel in p.Channels)
        {
            await conn.ExecuteAsync("INSERT INTO user_channels (user_id, channel) VALUES (@id, @channel)", new { id, channel }, tx);
        }
        // Expert areas: none removes the flag; open hand-overs stay with the expert either way.
        if (p.ExpertAreas.Count == 0)
        {
            await conn.ExecuteAsync("DELETE FROM experts WHERE user_id = @id", new { id }, tx);
        }
        else
        {
            await conn.ExecuteAsync(
                """
                INSERT INTO experts (user_id, areas, updated_at) VALUES (@id, @areas, @now)
                ON CONFLICT (user_id) DO UPDATE SET areas = excluded.areas, updated_at = excluded.updated_at
                """, new { id, areas = string.Join('\n', p.ExpertAreas), now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
        }
    }

    async Task OfferHoldingAsync(IReadOnlyList<TeamSeat> teams, CancellationToken ct)
    {
        if (teams.Count > 0)
            await sla.OfferHoldingAsync(teams.Select(t => t.Team).ToHashSet(StringComparer.Ordinal), ct);
    }

    sealed record AuditedPerson(string Name, string Role, IReadOnlyList<TeamSeat> Teams, IReadOnlyList<string> Channels, IReadOnlyList<string> Skills,
        IReadOnlyList<string> Languages, int Capacity, IReadOnlyList<string> ExpertAreas, bool PasswordChanged = false);

    static AuditedPerson Audited(PersonDto p) => new(p.Name, p.Role, p.Teams, p.Channels, p.Skills, p.Languages, p.Capacity, p.ExpertAreas);

    static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
