using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace Switchboard.Channels.Admin;

/// <summary>The form posts of the /channels page (antiforgery-checked); they redirect back with the outcome.</summary>
internal static class ChannelsPageEndpoints
{
    public static void MapChannelsPage(this WebApplication app)
    {
        var page = app.MapGroup("/channels").RequireAuthorization().ExcludeFromDescription();
        page.MapPost("/save", SaveAsync);
        page.MapPost("/{id:long}/delete", DeleteAsync);
    }

    private static async Task<IResult> SaveAsync([FromForm] IFormCollection form, HttpContext ctx, ChannelAccountCommands commands, CancellationToken ct)
    {
        if (!ChannelsEndpoints.CanManage(ctx.User))
            return Back("only admins and managers can change channel accounts");
        long? interval = null;
        if (form["expected_interval_seconds"].ToString() is { Length: > 0 } text)
        {
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                return Back("expected interval must be a whole number of seconds");
            interval = seconds;
        }
        var settings = form.Keys.Where(k => k.StartsWith("setting.", StringComparison.Ordinal) && form[k].ToString().Length > 0)
            .ToDictionary(k => k["setting.".Length..], k => form[k].ToString());
        // Secret fields are never pre-filled: an empty one means "keep", so only filled ones are sent.
        var secrets = form.Keys.Where(k => k.StartsWith("secret.", StringComparison.Ordinal) && form[k].ToString().Length > 0)
            .ToDictionary(k => k["secret.".Length..], k => form[k].ToString());
        var input = new ChannelAccountInput(form["kind"], form["name"], form["enabled"] == "true", settings, secrets, interval);
        var audit = ChannelsEndpoints.Audit(ctx.User);
        var result = long.TryParse(form["id"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? await commands.UpdateAsync(id, input, audit, ct)
            : await commands.CreateAsync(input, audit, ct);
        return result.Ok ? Results.LocalRedirect("/channels?saved=1") : Back(string.Join("; ", result.Errors));
    }

    private static async Task<IResult> DeleteAsync(long id, HttpContext ctx, ChannelAccountCommands commands, CancellationToken ct)
    {
        if (!ChannelsEndpoints.CanManage(ctx.User))
            return Back("only admins and managers can change channel accounts");
        var result = await commands.DeleteAsync(id, ChannelsEndpoints.Audit(ctx.User), ct);
        return result.Ok ? Results.LocalRedirect("/channels?saved=1") : Back(string.Join("; ", result.Errors));
    }

    private static IResult Back(string error) => Results.LocalRedirect("/channels?error=" + Uri.EscapeDataString(error));
}
