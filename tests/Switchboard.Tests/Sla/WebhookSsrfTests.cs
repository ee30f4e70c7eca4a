using System.Net;
using System.Net.Sockets;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Channels.SafeHttp;
using Switchboard.Sla;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Sla;

/// <summary>
/// Escalation webhook URLs come from manager-edited rules, so the sender must refuse internal targets (loopback,
/// cloud metadata, private ranges, non-http schemes) and record the row as failed without ever connecting.
/// </summary>
public sealed class WebhookSsrfTests
{
    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://localhost:{port}/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/hook")]
    [InlineData("http://2130706433:{port}/hook")]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("file:///etc/passwd")]
    [InlineData("not a url")]
    public async Task Internal_webhook_urls_are_refused_and_marked_failed_without_connecting(string template)
    {
        // A live listener on loopback: if the sender ever connected, the accept below would see it.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var url = template.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var time = TimeProvider.System;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var conn = await db.OpenAsync())
        {
            await conn.ExecuteAsync(
                "INSERT INTO webhook_outbox (effect_id, name, url, body, status, attempts, next_attempt_at, created_at) VALUES (NULL, 'ops', @url, '{\"text\":\"breach\"}', 'pending', 0, @now, @now)",
                new { url, now });
        }

        var sender = new WebhookSender(db, new SlaSignal(), time, NullLogger<WebhookSender>.Instance);
        using var http = new SafeHttpClient(new SafeHttpOptions { Timeout = TimeSpan.FromSeconds(5), ConnectTimeout = TimeSpan.FromSeconds(2) });
        await sender.SendDueAsync(http, CancellationToken.None);

        await using (var conn = await db.OpenAsync())
        {
            var row = await conn.QuerySingleAsync<(string Status, long Attempts, string? LastError)>(
                "SELECT status, attempts, last_error FROM webhook_outbox");
            Assert.Equal("failed", row.Status);
            Assert.Equal(1, row.Attempts);
            Assert.False(string.IsNullOrEmpty(row.LastError));
        }
        Assert.False(listener.Pending(), $"the sender connected to {url}");
    }

    [Fact]
    public async Task An_allowed_webhook_is_posted_as_slack_json_and_marked_sent()
    {
        // Loopback is opened for this test only (the production sender never sets the flag).
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = Task.Run(async () =>
        {
            var ctx = await listener.GetContextAsync();
            using var reader = new StreamReader(ctx.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
            return (ctx.Request.ContentType, body);
        });

        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var conn = await db.OpenAsync())
        {
            await conn.ExecuteAsync(
                "INSERT INTO webhook_outbox (effect_id, name, url, body, status, attempts, next_attempt_at, created_at) VALUES (NULL, 'ops', @url, '{\"text\":\"breach\"}', 'pending', 0, @now, @now)",
                new { url = $"http://127.0.0.1:{port}/hook", now });
        }
        var sender = new WebhookSender(db, new SlaSignal(), TimeProvider.System, NullLogger<WebhookSender>.Instance);
        using var http = new SafeHttpClient(new SafeHttpOptions { AllowLoopbackForTests = true, Timeout = TimeSpan.FromSeconds(10) });
        await sender.SendDueAsync(http, CancellationToken.None);

        var (contentType, body) = await received.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("application/json", contentType);
        Assert.Equal("{\"text\":\"breach\"}", body);
        await using var check = await db.OpenAsync();
        Assert.Equal("sent", await check.ExecuteScalarAsync<string>("SELECT status FROM webhook_outbox"));
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
