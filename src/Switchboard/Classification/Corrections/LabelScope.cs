using System.Data.Common;
using System.Security.Claims;

namespace Switchboard.Classification.Corrections;

/// <summary>
/// Who may see and change which message's labels. A message is visible exactly when its conversation is in the user's
/// <see cref="Auth.AccessScope"/> (the inbox's rule); analysts never change labels (they report, they do not triage).
/// Out-of-scope messages answer 404, like unknown ones, so ids cannot be probed. Accuracy reports and models are
/// workspace-wide aggregates, for managers and analysts.
/// </summary>
internal static class LabelScope
{
    public static bool CanCorrect(ClaimsPrincipal user) =>
        user.IsInRole("admin") || user.IsInRole("manager") || user.IsInRole("agent") || user.IsInRole("trainee") || user.IsInRole("approver");

    public static bool CanManageModels(ClaimsPrincipal user) => user.IsInRole("admin") || user.IsInRole("manager");

    public static bool CanSeeAccuracy(ClaimsPrincipal user) => CanManageModels(user) || user.IsInRole("analyst");

    public static async Task<bool> CanSeeAsync(DbConnection conn, DbTransaction? tx, ClaimsPrincipal user, long conversationId) =>
        await (await Auth.AccessScope.LoadAsync(conn, user, tx)).SeesAsync(conn, conversationId, tx);
}
