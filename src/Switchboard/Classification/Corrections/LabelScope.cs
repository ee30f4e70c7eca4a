using System.Data.Common;
using System.Security.Claims;
using Dapper;

namespace Switchboard.Classification.Corrections;

/// <summary>
/// Who may see and change which message's labels. Admins, managers and analysts read every team's messages; agents,
/// trainees and approvers only those of their teams, conversations assigned to them, or ones no team owns yet.
/// Analysts never change labels (they report, they do not triage). Out-of-scope messages answer 404, like unknown ones,
/// so ids cannot be probed.
/// </summary>
internal static class LabelScope
{
    public static bool CanCorrect(ClaimsPrincipal user) =>
        user.IsInRole("admin") || user.IsInRole("manager") || user.IsInRole("agent") || user.IsInRole("trainee") || user.IsInRole("approver");

    public static bool CanManageModels(ClaimsPrincipal user) => user.IsInRole("admin") || user.IsInRole("manager");

    public static bool CanSeeAccuracy(ClaimsPrincipal user) => CanManageModels(user) || user.IsInRole("analyst");

    private static bool SeesEverything(ClaimsPrincipal user) => CanSeeAccuracy(user);

    public static async Task<bool> CanSeeAsync(DbConnection conn, DbTransaction? tx, ClaimsPrincipal user, long? teamId, long? assigneeId)
    {
        if (SeesEverything(user))
        {
            return true;
        }

        var userId = Auth.Principal.UserId(user);
        if (teamId is null || assigneeId == userId)
        {
            return true;
        }

        return await conn.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM team_members WHERE team_id = @teamId AND user_id = @userId", new { teamId, userId }, tx) > 0;
    }
}
