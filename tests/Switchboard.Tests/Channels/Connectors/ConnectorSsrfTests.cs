using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.SafeHttp;
using Xunit;

namespace Switchboard.Tests.Channels.Connectors;

/// <summary>
/// End to end through the connector host: Mastodon and Jetstream accounts whose URLs point at this machine or at
/// private, link-local and metadata addresses are refused, the refusal is the error the channel's health shows, and a
/// loopback canary hears no connection (so no access token ever left).
/// </summary>
public sealed class ConnectorSsrfTests
{
    private const string Token = "mastodon-token-SECRET-ssrf";

    [Fact]
    public async Task Mastodon_and_Jetstream_accounts_aimed_at_internal_addresses_are_refused_and_the_canary_hears_nothing()
    {
        using var canary = new CanaryListener();
        var p = canary.Port.ToString(CultureInfo.InvariantCulture);
        // Production rules: loopback refused like every other internal address.
        await using var h = await ConnectorHarness.StartAsync(http: new SafeHttpOptions { ConnectTimeout = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(5) });
        string[] instances =
        [
            $"http://127.0.0.1:{p}/", $"http://[::1]:{p}/", $"http://[::ffff:127.0.0.1]:{p}/", $"http://2130706433:{p}/",
            $"http://0x7f000001:{p}/", $"http://0177.0.0.1:{p}/", $"https://127.1:{p}/", $"http://0.0.0.0:{p}/",
            $"http://localhost:{p}/", $"http://10.0.0.1:{p}/", "http://169.254.169.254/", $"http://[fd00::1]:{p}/",
        ];
        string[] endpoints =
        [
            $"ws://127.0.0.1:{p}/subscribe", $"wss://[::1]:{p}/subscribe", $"ws://[::ffff:7f00:1]:{p}/subscribe",
            $"ws://2130706433:{p}/subscribe", $"ws://127.1:{p}/subscribe", $"ws://0.0.0.0:{p}/subscribe",
            $"ws://localhost:{p}/subscribe", "ws://169.254.169.254/subscribe", $"ws://[fe80::1]:{p}/subscribe",
        ];
        var accounts = new List<(ChannelAccount Account, string Target)>();
        for (var i = 0; i < instances.Length; i++)
        {
            // Both streaming transports and REST polling: each starts with the REST backfill, which must be refused.
            var settings = new Dictionary<string, string> { ["instance"] = instances[i], ["transport"] = i % 2 == 0 ? "sse" : "websocket" };
            if (i % 3 == 2)
                settings["streaming"] = "false";
            accounts.Add((await h.AddAccountAsync("mastodon", "mastodon " + i, settings, new() { ["access_token"] = Token }), instances[i]));
        }
        for (var i = 0; i < endpoints.Length; i++)
            accounts.Add((await h.AddAccountAsync("bluesky-jetstream", "jetstream " + i, new() { ["endpoint"] = endpoints[i] }), endpoints[i]));

        await h.StartHostAsync();
        await WaitForRefusalsAsync(h, accounts);

        await using var conn = await h.Db.OpenAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages"));
        Assert.Equal(0, await canary.SettledConnectionsAsync());
        Assert.DoesNotContain(Token, h.Logs.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sse")]
    [InlineData("websocket")]
    public async Task A_reachable_instance_cannot_aim_its_stream_at_an_internal_address(string transport)
    {
        using var canary = new CanaryListener();
        var p = canary.Port.ToString(CultureInfo.InvariantCulture);
        var instanceRequests = 0;
        await using var server = await FakeServer.StartAsync(app => app.MapGet("/api/v1/notifications", () =>
        {
            Interlocked.Increment(ref instanceRequests);
            return Results.Content("[]", "application/json");
        }));
        // Loopback allowed, so the fake instance is reachable and the run gets as far as the stream. 0.0.0.0 and [::]
        // still reach this machine but stay refused; "localhost" must be refused by name like the instance URL is.
        await using var h = await ConnectorHarness.StartAsync();
        string[] streams =
        [
            $"http://0.0.0.0:{p}/", $"http://[::]:{p}/", $"http://localhost:{p}/", $"http://LOCALHOST.:{p}/",
            "http://169.254.169.254/", $"http://[::ffff:10.0.0.1]:{p}/", $"http://[fe80::1]:{p}/",
        ];
        var accounts = new List<(ChannelAccount Account, string Target)>();
        foreach (var stream in streams)
        {
            var settings = new Dictionary<string, string> { ["instance"] = server.Address.AbsoluteUri, ["streaming_url"] = stream, ["transport"] = transport };
            accounts.Add((await h.AddAccountAsync("mastodon", "stream " + stream, settings, new() { ["access_token"] = Token }), stream));
        }

        await h.StartHostAsync();
        await WaitForRefusalsAsync(h, accounts);

        Assert.True(Volatile.Read(ref instanceRequests) >= streams.Length, "every run backfilled from the instance before streaming");
        Assert.Equal(0, await canary.SettledConnectionsAsync());
        Assert.DoesNotContain(Token, h.Logs.All, StringComparison.Ordinal);
    }

    /// <summary>Waits until every account has failed twice (so a retry was refused too), then checks what its health row says.</summary>
    private static async Task WaitForRefusalsAsync(ConnectorHarness h, List<(ChannelAccount Account, string Target)> accounts)
    {
        await ConnectorHarness.WaitForAsync(async () =>
        {
            foreach (var (account, _) in accounts)
            {
                if ((await h.Health.GetAsync(account.Id))?.Errors is not >= 2)
                    return false;
            }
            return true;
        }, TimeSpan.FromSeconds(30), "every account to fail twice");
        foreach (var (account, target) in accounts)
        {
            var error = (await h.Health.GetAsync(account.Id))!.LastError;
            Assert.True(error?.Contains("refused", StringComparison.OrdinalIgnoreCase) == true, $"{account.Kind} {target}: the error does not say it was refused: {error}");
        }
    }
}
