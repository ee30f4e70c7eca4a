using System.Globalization;
using Switchboard.Posts;

namespace Switchboard.Demo;

/// <summary>
/// Generates realistic mentions of Brightwave, a fictional maker of home broadband, the Brightwave Hub router and
/// the Pulse earbuds, for the demo workspace. Every text is assembled here from our own phrase lists (no dataset),
/// across all eight enterprise functions, four channels, and with replies that continue earlier threads.
/// Deterministic for a given seed, so a demo can be replayed.
/// </summary>
internal sealed class MentionGenerator(int seed)
{
    private readonly Random _random = new(seed);
    private readonly List<(Post Post, string Topic)> _recent = [];
    private long _sequence;

    private static readonly string[] Products = ["Brightwave Hub", "Pulse earbuds", "Brightwave Fibre", "Brightwave app", "Pulse Pro"];

    private static readonly string[] FirstNames =
        ["maya", "leo", "sofia", "jonas", "amara", "noah", "ines", "kai", "priya", "tomas", "elena", "sam", "yuki", "omar", "lena", "ravi"];

    private static readonly string[] Suffixes = ["", "_", "writes", "codes", "travels", "42", "nyc", "uk", "de", "runs"];

    private static readonly (string Topic, string[] Texts)[] Templates =
    [
        ("care", [
            "@brightwave my {product} stopped working after the update yesterday. Tried a reset twice, still nothing. Can someone help?",
            "Still waiting on the refund for my {product} order #{order}. Three weeks now @brightwave, this is unacceptable",
            "@brightwave was charged twice for {month} on my broadband bill. Who do I talk to?",
            "Delivery of my {product} is late again. The tracking page says 'delayed' since Monday @brightwave",
            "@brightwave how do I cancel my Fibre contract when I move house? Website is not clear at all",
            "Third engineer visit cancelled without notice. @brightwave your support is a joke",
        ]),
        ("praise", [
            "Shout out to @brightwave support, fixed my {product} in ten minutes. Great service!",
            "Honestly the {product} is the best thing I bought this year. Love it @brightwave",
            "@brightwave thank you Ana from the chat team, super helpful and friendly 👏",
        ]),
        ("it", [
            "Is the Brightwave app down? Login fails with an error every time @brightwave",
            "@brightwave outage in {city}? No internet since 7am, the status page says all good",
            "The brightwave.com password reset link crashes on Android. Bug?",
        ]),
        ("pr", [
            "Hi @brightwave, I'm a journalist at {paper} writing about broadband prices. Could your press office send a statement today?",
            "Reporter here: we are covering the {product} overheating reports. Is there a recall planned? @brightwave",
            "My {product} charger caught fire last night. This is dangerous, my lawyer will be in touch @brightwave",
        ]),
        ("hr", [
            "@brightwave are you hiring junior network engineers in {city}? Would love to apply",
            "Had my interview with @brightwave last week and heard nothing back. Any recruiter around?",
            "Is the @brightwave summer internship open for applications yet?",
        ]),
        ("partners", [
            "We run an electronics store in {city} and want to become a @brightwave reseller. Who handles partnerships?",
            "@brightwave is there a partner programme for installers? Looking for a wholesale contact",
        ]),
        ("innovation", [
            "Idea for @brightwave: let the {product} schedule guest Wi-Fi by calendar. Would use it daily",
            "Feature wish: a family dashboard in the Brightwave app showing usage per device. Any roadmap for that?",
        ]),
        ("marketing", [
            "Just saw the new @brightwave ad with the dancing router 😂 who made that campaign?",
            "Is the @brightwave giveaway for the {product} still running? Entered the contest yesterday",
            "Our podcast would love a @brightwave sponsor for next season, who runs influencer deals?",
        ]),
        ("internal", [
            "Reminder: the all-hands townhall moved to Thursday 3pm, agenda on the intranet",
            "Colleagues in the {city} office: the new expense memo is out, please read before Friday",
            "Great announcement at the townhall today, proud of the Fibre launch team!",
        ]),
    ];

    // Follow-ups by the same author, per topic of the post they answer: a journalist does not write "it works again".
    private static readonly Dictionary<string, string[]> Replies = new()
    {
        ["care"] = [
            "Any update on this? Still not sorted @brightwave",
            "Thanks, DM sent with my account number",
            "Update: it works again after the second reset. Thanks!",
            "Nobody has answered yet. Really disappointed",
        ],
        ["praise"] = ["Thanks for the reply! Keep it up", "Still loving it a month later, by the way"],
        ["it"] = ["Still down here in {city}, any ETA?", "Working again now, thanks", "Cleared the cache, login still fails"],
        ["pr"] = ["Following up on my earlier message: our deadline is 5pm today", "Any comment from your press office?"],
        ["hr"] = ["Any news on this?", "Thanks, I have sent my CV"],
        ["partners"] = ["Following up: who should we talk to about reseller terms?"],
        ["innovation"] = ["+1, our whole family would use this", "Any news on the roadmap?"],
        ["marketing"] = ["Still curious who made it!", "Any update on this?"],
        ["internal"] = ["Thanks for the reminder", "Will the townhall be recorded for the remote team?"],
    };

    private static readonly string[] Cities = ["Leeds", "Berlin", "Lyon", "Porto", "Austin", "Toronto", "Utrecht", "Milan"];
    private static readonly string[] Papers = ["The Daily Ledger", "Tech Weekly", "Metro Business", "Broadband Watch"];
    private static readonly string[] Months = ["October", "November", "September"];

    public Post Next(DateTimeOffset now)
    {
        var id = Interlocked.Increment(ref _sequence);
        Post post;
        string topic;
        if (_recent.Count > 5 && _random.NextDouble() < 0.18)
        {
            (var parent, topic) = _recent[_random.Next(_recent.Count)];
            post = new Post(Id(id), parent.Channel, Fill(Pick(Replies[topic])), now, parent.Author, "en", null, parent.Id);
        }
        else
        {
            (topic, var texts) = Templates[_random.Next(Templates.Length)];
            var channel = topic == "internal" ? "slack" : Pick(["mastodon", "mastodon", "bluesky", "bluesky", "rss"]);
            var author = NewAuthor(topic);
            post = new Post(Id(id), channel, Fill(Pick(texts)), now, author, "en",
                channel == "rss" ? $"https://blog.example.org/brightwave-review/#comment-{id}" : null);
        }

        _recent.Add((post, topic));
        if (_recent.Count > 50)
        {
            _recent.RemoveAt(0);
        }

        return post;
    }

    private string Id(long n) => $"demo-{seed}-{n}";

    private Author NewAuthor(string topic)
    {
        var handle = Pick(FirstNames) + Pick(Suffixes);
        // Follower counts are heavy-tailed, as on every network: most have hundreds, a few have hundreds of thousands.
        var followers = (long)Math.Round(Math.Pow(10, 1 + (_random.NextDouble() * 4.5)));
        var verified = topic == "pr" || followers > 50_000;
        var name = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(handle.TrimEnd('_').Replace("writes", "", StringComparison.Ordinal));
        return new Author(handle, handle, name, followers, verified);
    }

    private string Fill(string template) => template
        .Replace("{product}", Pick(Products), StringComparison.Ordinal)
        .Replace("{order}", _random.Next(100000, 999999).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{city}", Pick(Cities), StringComparison.Ordinal)
        .Replace("{paper}", Pick(Papers), StringComparison.Ordinal)
        .Replace("{month}", Pick(Months), StringComparison.Ordinal);

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
