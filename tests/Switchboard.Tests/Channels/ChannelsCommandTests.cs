using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Channels.Admin;
using Switchboard.Tests.Infrastructure;
using Xunit;

namespace Switchboard.Tests.Channels;

public sealed class ChannelsCommandTests
{
    private static async Task<(int Code, string Out, string Err)> ImportAsync(Switchboard.Storage.Database db, string yaml)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("sb-channels-").FullName, "channels.yaml");
        await File.WriteAllTextAsync(file, yaml);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ChannelsCommand.ImportAsync(db, new FileInfo(file), stdout, stderr, default);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Import_reports_every_problem_with_its_line_and_changes_nothing()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        var (code, _, err) = await ImportAsync(db, "channels:\n  - name: a\n    kind: rss\n   settings: [unclosed\n");
        Assert.Equal(1, code);
        Assert.Matches(@"channels\.yaml:\d+:\d+: ", err);

        (code, _, err) = await ImportAsync(db, """
            channels:
              - name: Blog
                kind: rss
                settings:
                  url: https://blog.example/feed
              - name: Bad kind
                kind: myspace
              - name: No token
                kind: mastodon
                settings:
                  instance: https://m.example
              - name: Typo
                kind: rss
                setings:
                  url: https://x.example
              - name: Env
                kind: mastodon
                settings: { instance: "https://m.example" }
                secrets: { access_token: "${SB_TEST_UNSET_VARIABLE_42}" }
            """);
        Assert.Equal(1, code);
        Assert.Contains("channels.yaml:6:5: unknown kind 'myspace'", err, StringComparison.Ordinal);
        Assert.Contains("channels.yaml:8:5: access_token is required for mastodon", err, StringComparison.Ordinal);
        Assert.Contains("channels.yaml:14:5: unknown field 'setings'", err, StringComparison.Ordinal);
        Assert.Contains("environment variable for secret 'access_token' is not set", err, StringComparison.Ordinal);
        Assert.Contains("nothing imported", err, StringComparison.Ordinal);
        await using var conn = await db.OpenAsync();
        Assert.Equal(0, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "SELECT COUNT(*) FROM channel_accounts"));
    }

    [Fact]
    public async Task Import_then_export_round_trips_without_secrets_and_the_server_reads_the_encrypted_ones()
    {
        var db = await TestDatabases.CreateMigratedAsync("sqlite");
        const string token = "yaml-SECRET-93ac";
        Environment.SetEnvironmentVariable("SB_TEST_MASTODON_TOKEN", token);
        var yaml = """
            channels:
              - name: Acme blog
                kind: rss
                expected_interval_seconds: 86400
                settings:
                  url: https://blog.example/feed/
                  poll_interval_seconds: 600
              - name: Brand on Mastodon
                kind: mastodon
                settings:
                  instance: https://mastodon.example
                  timelines: notifications, tag/acme
                secrets:
                  access_token: ${SB_TEST_MASTODON_TOKEN}
              - name: Firehose
                kind: bluesky-jetstream
                enabled: false
                settings:
                  endpoint: wss://jetstream2.us-east.bsky.network/subscribe
                  keywords: acme, acmecorp
            """;
        var (code, output, err) = await ImportAsync(db, yaml);
        Assert.True(code == 0, err);
        Assert.Contains("3 created, 0 updated", output, StringComparison.Ordinal);
        (code, output, _) = await ImportAsync(db, yaml);
        Assert.Equal(0, code);
        Assert.Contains("0 created, 3 updated", output, StringComparison.Ordinal);

        using var exported = new StringWriter();
        Assert.Equal(0, await ChannelsCommand.ExportAsync(db, exported, default));
        var text = exported.ToString();
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Contains("secrets_set:", text, StringComparison.Ordinal);
        Assert.Contains("tag/acme", text, StringComparison.Ordinal);
        // The export imports back as is (secrets already stored are kept).
        (code, output, err) = await ImportAsync(db, text);
        Assert.True(code == 0, err);

        await using var server = await RunningServer.StartAsync(db);
        using var admin = await server.AdminClientAsync();
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/channels");
        var mastodon = list.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "Brand on Mastodon");
        Assert.Equal(["access_token"], mastodon.GetProperty("secretsSet").EnumerateArray().Select(e => e.GetString()));
        Assert.False(list.EnumerateArray().Single(a => a.GetProperty("kind").GetString() == "bluesky-jetstream").GetProperty("enabled").GetBoolean());
    }
}
