namespace Switchboard.Channels.Outbound;

/// <summary>
/// With `serve --demo` there are no real networks: this adapter "posts" by recording the reply (the replies row and
/// its send_attempts are the record) and giving it a stable id derived from the idempotency key, so a repeat is the
/// same post. Registered only in demo mode; a real account's adapter always takes precedence.
/// </summary>
internal sealed class DemoOutboundAdapter : OutboundAdapter
{
    public override IReadOnlyCollection<string> Channels { get; } = ["*"];

    public override int MaxLength => 500;

    public override Task<SendOutcome> SendAsync(OutboundReply reply, CancellationToken ct) =>
        Task.FromResult(new SendOutcome(SendStatus.Sent, ExternalId: "demo-" + reply.IdempotencyKey));

    public override Task<SendOutcome> ReconcileAsync(OutboundReply reply, CancellationToken ct) => SendAsync(reply, ct);
}
