using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Switchboard.Auth;
using Switchboard.Classification.Training;
using Switchboard.Demo;
using Switchboard.Ingest;
using Switchboard.Posts;
using Switchboard.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Classification;

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; private set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Synthetic labelled posts, tokens for demo users, and small database helpers for the classification tests.</summary>
internal static class ClassificationFixtures
{
    private static readonly string[] Cheerful = ["sunny", "delighted", "wonderful", "smiling", "lovely", "cheerful", "brilliant", "bright"];
    private static readonly string[] Gloomy = ["rainy", "miserable", "dreary", "crying", "awful", "gloomy", "dismal", "grey"];
    private static readonly string[] Filler = ["today", "the", "team", "morning", "again", "with", "our", "visit", "store", "weekend"];

    /// <summary>Posts whose "mood" is fully determined by its words: happy posts use cheerful words, sad ones gloomy words.</summary>
    public static List<(Post Post, string Mood)> MoodPosts(int count, int seed, string prefix = "p")
    {
        var rng = new Random(seed);
        var list = new List<(Post, string)>();
        for (var i = 0; i < count; i++)
        {
            var happy = i % 2 == 0;
            var words = happy ? Cheerful : Gloomy;
            var text = $"{words[rng.Next(words.Length)]} {Filler[rng.Next(Filler.Length)]} {words[rng.Next(words.Length)]} {Filler[rng.Next(Filler.Length)]} #{i}";
            list.Add((new Post($"{prefix}{i}", "mastodon", text, DateTimeOffset.Parse("2026-11-16T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture).AddMinutes(i),
                new Author("u" + i, "user" + i)), happy ? "happy" : "sad"));
        }

        return list;
    }

    public static byte[] ModelBytes(IEnumerable<(string Text, string Label)> examples)
    {
        var model = Trainer.Train([.. examples.Select(e => new LabeledText(e.Text, e.Label))], TrainerOptions.Default with { HashBits = 12, LabelColumn = "mood" });
        using var ms = new MemoryStream();
        ModelFile.Write(model, ms);
        return ms.ToArray();
    }

    public static async Task IngestAsync(Database db, IReadOnlyList<Post> posts, TimeProvider? time = null)
    {
        await using var conn = await db.OpenAsync();
        await IngestBatch.WriteAsync(db, conn, posts, time ?? TimeProvider.System, CancellationToken.None);
    }

    /// <summary>Message ids by external id.</summary>
    public static async Task<Dictionary<string, long>> MessageIdsAsync(Database db)
    {
        await using var conn = await db.OpenAsync();
        return (await conn.QueryAsync<(string E, long Id)>("SELECT external_id, id FROM messages")).ToDictionary(r => r.E, r => r.Id);
    }

    /// <summary>Stores human labels the way `import --label-column` does.</summary>
    public static async Task LabelAsync(Database db, string label, IEnumerable<(long MessageId, string Value)> labels, DateTimeOffset at)
    {
        await using var conn = await db.OpenAsync();
        foreach (var (id, value) in labels)
        {
            await conn.ExecuteAsync(
                "INSERT INTO label_corrections (message_id, label, new_value, kind, actor, created_at) VALUES (@id, @label, @value, 'import', 'import', @at)",
                new { id, label, value, at = at.ToUnixTimeMilliseconds() });
        }
    }

    /// <summary>A bearer client for a demo user (seeding the demo users when needed).</summary>
    public static async Task<HttpClient> ClientForAsync(RunningServer server, string email)
    {
        await DemoWorkspace.SeedAsync(server.Db, TimeProvider.System);
        await using var conn = await server.Db.OpenAsync();
        var user = await Users.FindAsync(conn, email) ?? throw new InvalidOperationException("no user " + email);
        return server.Client(await ApiTokens.CreateAsync(conn, user.Id, "test", TimeProvider.System));
    }

    public static StringContent Jsonl(params object[] posts) =>
        new(string.Join('\n', posts.Select(p => JsonSerializer.Serialize(p))), Encoding.UTF8, "application/x-ndjson");

    public static object Post(string id, string text, string created = "2026-11-22T10:00:00Z") =>
        new { id, channel = "mastodon", text, created_at = created, author = new { id = "u" + id, handle = "user" + id } };

    /// <summary>
    /// Posts one message, written now, through the API and returns its message id and conversation id. Now, not a
    /// fixed date: the accuracy report counts a message in the week it was written and its correction in the week it
    /// was made, so a fixed date would put them in different weeks once the suite runs a week later.
    /// </summary>
    public static async Task<(long MessageId, long ConversationId)> PostOneAsync(HttpClient api, RunningServer server, string id, string text)
    {
        var r = await api.PostAsync("/api/posts", Jsonl(Post(id, text, DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture))));
        r.EnsureSuccessStatusCode();
        await using var conn = await server.Db.OpenAsync();
        return await conn.QueryFirstAsync<(long, long)>("SELECT id, conversation_id FROM messages WHERE external_id = @id", new { id });
    }

    public static Task<HttpResponseMessage> CorrectAsync(HttpClient api, long messageId, string label, string value) =>
        api.PostAsJsonAsync($"/api/messages/{messageId}/labels", new { label, value });
}
