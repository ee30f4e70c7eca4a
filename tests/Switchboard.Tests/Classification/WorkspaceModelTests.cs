using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Models;
using Switchboard.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Switchboard.Tests.Classification.ClassificationFixtures;

namespace Switchboard.Tests.Classification;

public class WorkspaceModelTests(ITestOutputHelper output)
{
    private static readonly ModelActor Tester = ModelActor.System("test");

    private async Task<(Switchboard.Storage.Database Db, List<(long Id, string Text, string Mood)> Messages)> LabelledWorkspaceAsync(string provider, int count, int seed)
    {
        output.WriteLine($"seed {seed}");
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var posts = MoodPosts(count, seed);
        await IngestAsync(db, [.. posts.Select(p => p.Post)]);
        var ids = await MessageIdsAsync(db);
        return (db, [.. posts.Select(p => (ids[p.Post.Id], p.Post.Text, p.Mood))]);
    }

    private static string Flip(string mood) => mood == "happy" ? "sad" : "happy";

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task A_worse_candidate_is_rejected_and_a_better_one_replaces_the_active_model(string provider)
    {
        var (db, messages) = await LabelledWorkspaceAsync(provider, 120, 4242);
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-20T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(messages.Count(m => HeldBackSlice.Contains(m.Id)), 10, 45);

        // The active model knows the moods. People's labels outside the held-back slice are all wrong, inside it right:
        // a candidate trained on them must do worse on the slice than the active model, and must not replace it.
        var good = await ModelStore.ImportAsync(db, "mood", ModelBytes(messages.Select(m => (m.Text, m.Mood))), Tester, time, default);
        Assert.Null(good.Error);
        await LabelAsync(db, "mood", messages.Select(m => (m.Id, HeldBackSlice.Contains(m.Id) ? m.Mood : Flip(m.Mood))), time.GetUtcNow());

        var rejected = await Retraining.RunAsync(db, "mood", "manual", Tester, time, default);
        var a = rejected.Attempt!;
        output.WriteLine($"{a.Outcome}: {a.Reason}");
        Assert.Equal("rejected", a.Outcome);
        Assert.True(a.CandidateAccuracy < a.ActiveAccuracy, a.Reason);
        Assert.Null(a.ModelId);
        await using (var conn = await db.OpenAsync())
        {
            Assert.Equal(good.Model!.Id, await conn.ExecuteScalarAsync<long>("SELECT id FROM models WHERE name = 'mood' AND active = 1"));
            Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM models"));
            var row = await conn.QueryFirstAsync<(string Outcome, long Training, long HeldBack, double? Active, double? Candidate)>(
                "SELECT outcome, training_rows, heldback_rows, active_accuracy, candidate_accuracy FROM retrain_attempts WHERE trigger = 'manual'");
            Assert.Equal(("rejected", (long)messages.Count(m => !HeldBackSlice.Contains(m.Id)), (long)messages.Count(m => HeldBackSlice.Contains(m.Id))),
                (row.Outcome, row.Training, row.HeldBack));
            Assert.Equal(a.ActiveAccuracy, row.Active);
        }

        // People fix their labels (newer rows win): now the candidate is at least as good and takes over as version 2.
        time.Advance(TimeSpan.FromMinutes(5));
        await LabelAsync(db, "mood", messages.Where(m => !HeldBackSlice.Contains(m.Id)).Select(m => (m.Id, m.Mood)), time.GetUtcNow());
        var activated = (await Retraining.RunAsync(db, "mood", "manual", Tester, time, default)).Attempt!;
        output.WriteLine($"{activated.Outcome}: {activated.Reason}");
        Assert.Equal("activated", activated.Outcome);
        Assert.True(activated.CandidateAccuracy >= activated.ActiveAccuracy);
        await using (var conn = await db.OpenAsync())
        {
            var active = await conn.QueryFirstAsync<(long Id, long Version, string Source)>("SELECT id, version, source FROM models WHERE name = 'mood' AND active = 1");
            Assert.Equal((activated.ModelId!.Value, 2L, "retrain"), active);
            Assert.Equal(1, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM models WHERE active = 1"));
        }
    }

    [Fact]
    public async Task A_sentiment_model_must_beat_the_default_rules_before_it_takes_over()
    {
        var (db, messages) = await LabelledWorkspaceAsync("sqlite", 60, 99);
        // Labels that contradict the words everywhere: the candidate learns them, but on the held-back slice (labelled the
        // way the rules see it) it loses to the default classifier, which stays in charge.
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddYears(56));
        await using var conn = await db.OpenAsync();
        var rules = (await conn.QueryAsync<(long Id, string Sentiment)>("SELECT id, sentiment FROM messages")).ToDictionary(r => r.Id, r => r.Sentiment);
        await LabelAsync(db, "sentiment", messages.Select(m => (m.Id, HeldBackSlice.Contains(m.Id) ? rules[m.Id] : (m.Mood == "happy" ? "negative" : "positive"))),
            time.GetUtcNow());
        var a = (await Retraining.RunAsync(db, "sentiment", "manual", Tester, time, default)).Attempt!;
        output.WriteLine($"{a.Outcome}: {a.Reason}");
        Assert.Equal("rejected", a.Outcome);
        Assert.Equal(1.0, a.ActiveAccuracy);
        Assert.Contains("default rules", a.Reason, StringComparison.Ordinal);
        Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM models"));
    }

    [Fact]
    public async Task The_scheduler_retrains_when_due_and_not_before()
    {
        var (db, messages) = await LabelledWorkspaceAsync("sqlite", 60, 7);
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-20T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await LabelAsync(db, "mood", messages.Select(m => (m.Id, m.Mood)), time.GetUtcNow());
        var scheduler = new RetrainScheduler(db, time, new RetrainOptions(TimeSpan.FromHours(6)), NullLogger<RetrainScheduler>.Instance);

        var (first, wake) = await scheduler.TickAsync(default);
        Assert.Empty(first);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromHours(6), wake);

        time.Advance(TimeSpan.FromHours(5));
        Assert.Empty((await scheduler.TickAsync(default)).Attempts);

        time.Advance(TimeSpan.FromHours(1));
        var (due, next) = await scheduler.TickAsync(default);
        var attempt = Assert.Single(due);
        Assert.Equal(("mood", "schedule", "activated"), (attempt.Name, attempt.Trigger, attempt.Outcome));

        // No new labels since: nothing to do at the next interval either.
        time.Advance(TimeSpan.FromHours(7));
        Assert.Empty((await scheduler.TickAsync(default)).Attempts);
        // A new correction makes it due again once the interval since the last attempt has passed.
        await LabelAsync(db, "mood", [(messages[0].Id, messages[0].Mood)], time.GetUtcNow());
        Assert.Single((await scheduler.TickAsync(default)).Attempts);
        await using var conn = await db.OpenAsync();
        Assert.Equal(2, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM retrain_attempts WHERE trigger = 'schedule'"));
        Assert.True(next > time.GetUtcNow() - TimeSpan.FromHours(8));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Providers), MemberType = typeof(TestDatabases))]
    public async Task Active_models_label_new_messages_a_custom_label_for_routing_and_a_sentiment_override(string provider)
    {
        var db = await TestDatabases.CreateMigratedAsync(provider);
        var time = TimeProvider.System;
        var training = MoodPosts(80, 11);
        Assert.Null((await ModelStore.ImportAsync(db, "mood", ModelBytes(training.Select(p => (p.Post.Text, p.Mood))), Tester, time, default)).Error);
        // A deliberately perverse sentiment model (cheerful words are "negative") proves the override is the model's.
        Assert.Null((await ModelStore.ImportAsync(db, "sentiment",
            ModelBytes(training.Select(p => (p.Post.Text, p.Mood == "happy" ? "negative" : "positive"))), Tester, time, default)).Error);

        var fresh = MoodPosts(6, 12, prefix: "new");
        await IngestAsync(db, [.. fresh.Select(p => p.Post)]);
        await using var conn = await db.OpenAsync();
        foreach (var (post, mood) in fresh)
        {
            var m = await conn.QueryFirstAsync<(long Id, long Conv, string Category, double Confidence, string Model, string Sentiment, string Explain)>(
                "SELECT id, conversation_id, category, category_confidence, category_model, sentiment, explain FROM messages WHERE external_id = @e", new { e = post.Id });
            Assert.Equal((mood, "mood"), (m.Category, m.Model));
            Assert.InRange(m.Confidence, 0.5, 1.0);
            Assert.Equal(mood == "happy" ? "negative" : "positive", m.Sentiment);
            Assert.Contains("model sentiment v1", m.Explain, StringComparison.Ordinal);
            Assert.Equal(mood, await conn.ExecuteScalarAsync<string>("SELECT category FROM conversations WHERE id = @c", new { c = m.Conv }));
            Assert.Equal(mood, await conn.ExecuteScalarAsync<string>("SELECT value FROM message_labels WHERE message_id = @id AND name = 'mood'", new { id = m.Id }));
        }
    }

    [Fact]
    public async Task Model_upload_refuses_corrupt_foreign_and_misnamed_files_with_a_reason()
    {
        await using var server = await RunningServer.StartAsync(await TestDatabases.CreateAsync("sqlite"));
        using var admin = await server.AdminClientAsync();
        var good = ModelBytes(MoodPosts(40, 3).Select(p => (p.Post.Text, p.Mood)));
        var flipped = (byte[])good.Clone();
        flipped[flipped.Length / 2] ^= 0xFF;
        var versioned = (byte[])good.Clone();
        versioned[6] = 99;

        async Task<string> Refused(string name, byte[] bytes)
        {
            var r = await admin.PostAsync($"/api/models?name={name}", new ByteArrayContent(bytes));
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{r.StatusCode}: {text}");
            return text;
        }

        Assert.Contains("checksum", await Refused("mood", flipped), StringComparison.Ordinal);
        Assert.Contains("truncated", await Refused("mood", good[..(good.Length - 40)]), StringComparison.Ordinal);
        Assert.Contains("not a Switchboard model", await Refused("mood", "hello, I am not a model"u8.ToArray()), StringComparison.Ordinal);
        Assert.Contains("version", await Refused("mood", versioned), StringComparison.Ordinal);
        Assert.Contains("empty", await Refused("mood", []), StringComparison.Ordinal);
        Assert.Contains("default label", await Refused("intent", good), StringComparison.Ordinal);
        Assert.Contains("lower-case", await Refused("Mood%20Reason", good), StringComparison.Ordinal);
        Assert.Contains("a model name is required", await Refused("", good), StringComparison.Ordinal);
        Assert.Contains("sentiment model must predict", await Refused("sentiment", good), StringComparison.Ordinal);

        await using (var conn = await server.Db.OpenAsync())
        {
            Assert.Equal(0, await conn.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM models"));
        }

        var ok = await admin.PostAsync("/api/models?name=mood", new ByteArrayContent(good));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var model = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, true), (model.GetProperty("version").GetInt32(), model.GetProperty("active").GetBoolean()));

        // Messages arriving now carry the custom label: filterable in the API, correctable with its own values.
        var (messageId, conversationId) = await PostOneAsync(admin, server, "m1", "sunny delighted morning, wonderful");
        var filtered = await admin.GetFromJsonAsync<JsonElement>("/api/conversations?label=" + Uri.EscapeDataString("mood:happy"));
        Assert.Equal([conversationId], filtered.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/conversations?label=mood:sad")).GetProperty("items").GetArrayLength());
        // Without a colon it names a conversation label (docs/inbox.md "Labels"): one nobody put on matches nothing.
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/conversations?label=nocolon")).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/conversations?label=" + Uri.EscapeDataString("<nocolon>"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await CorrectAsync(admin, messageId, "mood", "ecstatic")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CorrectAsync(admin, messageId, "mood", "sad")).StatusCode);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/api/conversations?label=mood:sad")).GetProperty("items").GetArrayLength());

        var report = await admin.GetFromJsonAsync<JsonElement>("/api/classification/accuracy");
        var week = report.GetProperty("weeks").EnumerateArray().Single(w => w.GetProperty("label").GetString() == "mood");
        Assert.Equal((1, 1, 0), (week.GetProperty("labelled").GetInt32(), week.GetProperty("corrections").GetInt32(), week.GetProperty("confirmations").GetInt32()));
        Assert.Equal(0.0, week.GetProperty("accuracy").GetDouble());
        Assert.Equal("import", report.GetProperty("attempts")[0].GetProperty("trigger").GetString());
    }
}
