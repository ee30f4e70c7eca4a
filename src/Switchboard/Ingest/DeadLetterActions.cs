using System.Security.Claims;
using Switchboard.Audit;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>What became of a retry or a discard: an HTTP status, a sentence for the operator, and the ingest outcome.</summary>
internal sealed record DeadLetterResult(int Status, string Message, string? Outcome = null)
{
    public bool Ok => Status == StatusCodes.Status200OK;
}

/// <summary>
/// An operator's two moves on a dead letter. Retry sends the stored post through the ordinary ingest path (the same
/// queue, writer, dedupe and routing as any delivery), and only when it is stored, or was stored meanwhile by a
/// redelivery, is the letter removed; a post that fails again stays, with its new error. Discard removes it for good.
/// Both are audited with the post as it was, so a discarded message can still be found.
/// </summary>
internal static class DeadLetterActions
{
    public const int MaxKey = 600;

    public static async Task<DeadLetterResult> RetryAsync(Database db, IngestQueue queue, TimeProvider time, ClaimsPrincipal user,
        string? channel, string? externalId, CancellationToken ct)
    {
        var (letter, refused) = await FindAsync(db, channel, externalId, ct);
        if (letter is null)
            return refused!;
        if (DeadLetters.PostOf(letter) is not { } post)
            return new(StatusCodes.Status409Conflict, "the parked post cannot be read back; discard it");

        IngestOutcome outcome;
        try
        {
            outcome = await queue.IngestAsync(post, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return IngestWriter.Transient(ex)
                ? new(StatusCodes.Status503ServiceUnavailable, "the database is not available; try again: " + ex.Message)
                : new(StatusCodes.Status409Conflict, "the post failed again and stays here: " + ex.Message);
        }

        if (outcome == IngestOutcome.DeadLettered)
        {
            await using var again = await db.OpenAsync(ct);
            var now = await DeadLetters.FindAsync(again, channel!, externalId!, ct);
            return new(StatusCodes.Status409Conflict, "the post failed again and stays here: " + (now?.Error ?? letter.Error));
        }

        var result = outcome == IngestOutcome.Stored ? "stored" : "duplicate";
        await RemoveAsync(db, time, AuditEntry.By(user, "dead_letter.retried", "dead_letter", $"{channel}/{externalId}",
            new { letter.Error, letter.Attempts }, new { outcome = result }), channel!, externalId!, ct);
        return new(StatusCodes.Status200OK, result == "stored" ? "stored: the post is in the inbox now" : "it was already stored (redelivered meanwhile)", result);
    }

    public static async Task<DeadLetterResult> DiscardAsync(Database db, TimeProvider time, ClaimsPrincipal user,
        string? channel, string? externalId, CancellationToken ct)
    {
        var (letter, refused) = await FindAsync(db, channel, externalId, ct);
        if (letter is null)
            return refused!;
        var removed = await RemoveAsync(db, time, AuditEntry.By(user, "dead_letter.discarded", "dead_letter", $"{channel}/{externalId}",
            new { letter.Error, letter.Attempts, letter.Post }), channel!, externalId!, ct);
        return removed ? new(StatusCodes.Status200OK, "discarded") : NotFound(channel!, externalId!);
    }

    private static async Task<bool> RemoveAsync(Database db, TimeProvider time, AuditEntry audit, string channel, string externalId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var removed = await DeadLetters.DeleteAsync(conn, tx, channel, externalId);
        if (removed > 0)
            await AuditLog.WriteAsync(conn, tx, audit, time);
        await tx.CommitAsync(ct);
        return removed > 0;
    }

    /// <summary>The letter a request names, or why there is none to act on (a 400 for a malformed key, a 404).</summary>
    private static async Task<(DeadLetterDto? Letter, DeadLetterResult? Refused)> FindAsync(Database db, string? channel, string? externalId, CancellationToken ct)
    {
        if (Invalid(channel, externalId) is { } bad)
            return (null, bad);
        await using var conn = await db.OpenAsync(ct);
        var letter = await DeadLetters.FindAsync(conn, channel!, externalId!, ct);
        return letter is null ? (null, NotFound(channel!, externalId!)) : (letter, null);
    }

    private static DeadLetterResult? Invalid(string? channel, string? externalId) =>
        string.IsNullOrEmpty(channel) || string.IsNullOrEmpty(externalId)
            ? new(StatusCodes.Status400BadRequest, "channel and id are required: the dead letter's channel and external id, as listed")
            : channel.Length > MaxKey || externalId.Length > MaxKey
                ? new(StatusCodes.Status400BadRequest, $"channel and id are at most {MaxKey} characters")
                : null;

    private static DeadLetterResult NotFound(string channel, string externalId) =>
        new(StatusCodes.Status404NotFound, $"no dead letter {channel}/{externalId}");
}
