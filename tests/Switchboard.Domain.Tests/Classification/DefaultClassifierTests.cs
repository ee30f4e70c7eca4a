using FsCheck;
using FsCheck.Fluent;
using Switchboard.Classification;
using Switchboard.Classification.Intent;
using Switchboard.Classification.Routing;
using Switchboard.Classification.Scoring;
using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;
using Switchboard.Posts;
using Xunit;

namespace Switchboard.Tests.Classification;

public class TokenizerTests
{
    [Fact]
    public void Splits_urls_mentions_hashtags_emoticons_and_marks_caps_and_elongation()
    {
        var b = new TokenBuffer();
        Tokenizer.Tokenize("@Acme I LOVE it sooooo much :) #best https://x.co/a?b=1 don't!", b);
        var kinds = Enumerable.Range(0, b.Count).Select(i => (b.Items[i].Kind, b.Text(i).ToString())).ToList();
        Assert.Contains((TokenKind.Mention, "acme"), kinds);
        Assert.Contains((TokenKind.Hashtag, "best"), kinds);
        Assert.Contains((TokenKind.Emoticon, ":)"), kinds);
        Assert.Contains((TokenKind.Word, "soo"), kinds);
        Assert.Contains((TokenKind.Word, "don't"), kinds);
        Assert.Contains(kinds, k => k.Item1 == TokenKind.Url);
        Assert.Contains(kinds, k => k.Item1 == TokenKind.Exclamation);
        var love = Enumerable.Range(0, b.Count).Single(i => b.Text(i).SequenceEqual("love"));
        Assert.True(b.Items[love].AllCaps);
        var soo = Enumerable.Range(0, b.Count).Single(i => b.Text(i).SequenceEqual("soo"));
        Assert.True(b.Items[soo].Elongated);
    }

    [Fact]
    public void Times_are_not_emoticons()
    {
        var b = new TokenBuffer();
        Tokenizer.Tokenize("meet at 10:30 please", b);
        Assert.DoesNotContain(Enumerable.Range(0, b.Count), i => b.Items[i].Kind == TokenKind.Emoticon);
    }

    [Fact]
    public void Huge_text_is_truncated_not_rejected()
    {
        var b = new TokenBuffer();
        Tokenizer.Tokenize(string.Concat(Enumerable.Repeat("word ", 100_000)), b);
        Assert.True(b.Truncated);
        Assert.True(b.Count <= Tokenizer.MaxChars);
    }
}

public class SentimentTests
{
    private static SentimentResult S(string text)
    {
        var b = new TokenBuffer();
        Tokenizer.Tokenize(text, b);
        return SentimentAnalyzer.Analyze(b);
    }

    [Theory]
    [InlineData("I love this, the team was amazing", "Positive")]
    [InlineData("worst service ever, still waiting for a refund", "Negative")]
    [InlineData("What time does the store open tomorrow", "Neutral")]
    [InlineData("not happy at all", "Negative")]
    [InlineData("not bad at all", "Positive")]
    [InlineData("the staff were nice but the food was terrible", "Negative")]
    [InlineData("flight delayed but the crew was amazing", "Positive")]
    [InlineData("😡😡", "Negative")]
    [InlineData("thank you 😍", "Positive")]
    [InlineData("#worstservice", "Negative")]
    [InlineData("My charger caught fire last night. This is dangerous", "Negative")]
    [InlineData("the battery is overheating and I got burned", "Negative")]
    [InlineData("we are covering the overheating reports. Is there a recall planned?", "Negative")]
    [InlineData("Is there a recall planned for the Pulse Pro?", "Neutral")]
    [InlineData("this new phone is on fire, love it", "Positive")]
    public void Labels_typical_posts(string text, string expected) => Assert.Equal(Enum.Parse<SentimentLabel>(expected), S(text).Label);

    [Fact]
    public void Intensifiers_caps_elongation_and_exclamation_strengthen()
    {
        var plain = S("this is good").Score;
        Assert.True(S("this is very good").Score > plain);
        Assert.True(S("this is GOOD and the rest is fine").Score > S("this is good and the rest is fine").Score);
        Assert.True(S("this is goooood").Score > plain);
        Assert.True(S("this is good!!!").Score > plain);
        Assert.True(S("this is slightly good").Score < plain);
    }

    [Fact]
    public void Explains_with_the_words_that_weighed_most()
    {
        var r = S("the app is terrible and slow");
        Assert.Equal("terrible", r.Evidence[0].Text);
        Assert.True(r.Evidence[0].Weight < 0);
    }

    [Fact]
    public void Score_stays_in_range_and_never_throws_on_any_text()
    {
        Prop.ForAll<string>(s =>
        {
            var r = S(s ?? "");
            return r.Score is >= -1 and <= 1;
        }).QuickCheckThrowOnFailure();
    }
}

public class LanguageTests
{
    private static string L(string text)
    {
        return DefaultClassifier.Classify(new Post("1", "t", text)).Language;
    }

    [Theory]
    [InlineData("@acme my order has not arrived and nobody answers the phone", "en")]
    [InlineData("@acme mi pedido no ha llegado y nadie contesta el teléfono", "es")]
    [InlineData("@acme ma commande n'est pas arrivée et personne ne répond", "fr")]
    [InlineData("@acme meine Bestellung ist nicht angekommen und niemand geht ans Telefon", "de")]
    [InlineData("@acme o meu pedido não chegou e ninguém atende o telefone", "pt")]
    [InlineData("@acme il mio ordine non è arrivato e nessuno risponde al telefono", "it")]
    [InlineData("@acme mijn bestelling is niet aangekomen en niemand neemt de telefoon op", "nl")]
    [InlineData("Love the new app, sooo good :)", "en")]
    [InlineData("@acme #fail https://t.co/abc", "und")]
    [InlineData("", "und")]
    [InlineData("🙂🙂", "und")]
    public void Detects_the_seven_languages_and_abstains_without_words(string text, string expected) =>
        Assert.Equal(expected, L(text));

    [Fact]
    public void Hashtags_and_mentions_do_not_count_as_words()
    {
        // All the English here is in hashtags and mentions; the words are Spanish.
        Assert.Equal("es", L("@thebestshop #thanksforthehelp #the #and muchas gracias por todo"));
    }
}

public class IntentAndDepartmentTests
{
    private static Switchboard.Classification.Classification C(string text, ClassifierContext? ctx = null, Author? a = null,
        string channel = "twitter") => DefaultClassifier.Classify(new Post("1", channel, text, Author: a), ctx);

    [Theory]
    [InlineData("My lawyer will be in touch, we are going to sue you", "Crisis", "PublicRelations")]
    [InlineData("Your customer database was hacked, my data leaked online", "Crisis", "It")]
    [InlineData("I'm a reporter at the Times, any comment for a story on the recall?", "Crisis", "PublicRelations")]
    [InlineData("How do I change my delivery address?", "Question", "CustomerService")]
    [InlineData("Are you hiring? I'd love to apply for a job in your team", "Hr", "HumanResources")]
    [InlineData("We are a distributor in Chile and would like to become a reseller", "Partnership", "PartnersAndChannel")]
    [InlineData("What is the pricing for the enterprise plan? Interested in a demo", "PurchaseIntent", "Marketing")]
    [InlineData("Suggestion: it would be nice to have a dark mode feature", "Feedback", "Innovation")]
    [InlineData("Worst experience ever, the package arrived broken and nobody helps", "Complaint", "CustomerService")]
    [InlineData("Thank you so much, the team was amazing!", "Praise", "CustomerService")]
    [InlineData("click here for free followers https://a.b/c https://d.e/f", "Spam", "None")]
    public void Typical_posts_get_intent_and_owner(string text, string intent, string department)
    {
        var c = C(text);
        Assert.Equal(Enum.Parse<IntentLabel>(intent), c.Intent);
        Assert.Equal(Enum.Parse<Department>(department), c.Department);
        Assert.False(string.IsNullOrWhiteSpace(c.Explain.Intent));
    }

    [Fact]
    public void Explanations_name_the_phrase_that_decided()
    {
        Assert.Equal("cue 'on hold'", C("I have been on hold").Explain.Intent);
        Assert.StartsWith("crisis cue 'reporter' (press)", C("I'm a reporter, any comment on the breach?").Explain.Intent);
    }

    [Fact]
    public void Internal_channels_go_to_internal_communications()
    {
        var ctx = ClassifierContext.Default with { InternalChannels = new HashSet<string> { "slack" } };
        Assert.Equal(Department.InternalCommunications, C("Reminder: the town hall memo is on the intranet", ctx, channel: "slack").Department);
    }

    [Fact]
    public void Empty_text_is_other_and_neutral()
    {
        var c = C("");
        Assert.Equal(IntentLabel.Other, c.Intent);
        Assert.Equal(SentimentLabel.Neutral, c.Sentiment);
        Assert.Equal(Department.None, c.Department);
    }

    [Fact]
    public void Any_text_classifies_without_throwing_and_scores_stay_in_range()
    {
        Prop.ForAll<string>(s =>
        {
            var c = C(s ?? "");
            return c.Urgency is >= 0 and <= 1 && c.Influence is >= 0 and <= 1 && c.SentimentScore is >= -1 and <= 1;
        }).QuickCheckThrowOnFailure();
    }
}

public class InfluenceAndUrgencyTests
{
    [Fact]
    public void Influence_grows_with_followers_and_verification_and_lists_set_floors()
    {
        var o = InfluenceOptions.Default;
        var lists = new AudienceLists(vips: ["@bigboss"], journalists: ["jane"], regulators: [], employees: []);
        double I(Author a) => Influence.Compute(a, lists, o).Score;
        Assert.True(I(new Author(Followers: 100)) < I(new Author(Followers: 10_000)));
        Assert.True(I(new Author(Followers: 10_000)) < I(new Author(Followers: 10_000, Verified: true)));
        Assert.Equal(o.FollowerWeight, I(new Author(Followers: 5_000_000)), 3);
        Assert.Equal(o.JournalistFloor, I(new Author(Handle: "@Jane", Followers: 10)), 3);
        Assert.Equal(o.VipFloor, I(new Author(Handle: "bigboss")), 3);
        Assert.Equal(0, Influence.Compute(null, lists, o).Score);
    }

    /// <summary>Found by the webhook fuzz: "followers": 9223372036854775807 made the score NaN, which SQLite refuses to store (503).</summary>
    [Fact]
    public void Influence_of_the_largest_follower_count_is_a_number()
    {
        var score = Influence.Compute(new Author(Followers: long.MaxValue), new AudienceLists([], [], [], []), InfluenceOptions.Default).Score;
        Assert.True(double.IsFinite(score), $"score {score}");
        Assert.Equal(InfluenceOptions.Default.FollowerWeight, score, 3);
    }

    [Fact]
    public void Urgency_rises_with_crisis_negativity_and_influence()
    {
        var o = UrgencyOptions.Default;
        var calm = Urgency.Compute(IntentLabel.Question, 0, 0, 0, o).Score;
        Assert.True(Urgency.Compute(IntentLabel.Question, -0.8, 0, 0, o).Score > calm);
        Assert.True(Urgency.Compute(IntentLabel.Question, 0, 0.9, 0, o).Score > calm);
        Assert.True(Urgency.Compute(IntentLabel.Crisis, 0, 0, 2, o).Score > Urgency.Compute(IntentLabel.Complaint, 0, 0, 0, o).Score);
        Assert.Equal(0, Urgency.Compute(IntentLabel.Spam, -1, 1, 3, o).Score);
        Assert.Equal(1, Urgency.Compute(IntentLabel.Crisis, -1, 1, 5, o).Score);
    }

    [Fact]
    public void A_journalist_complaint_is_more_urgent_than_an_anonymous_one()
    {
        var ctx = ClassifierContext.Default with { Audience = new AudienceLists([], ["jane"], [], []) };
        var text = "your support is terrible, waiting for days";
        var anon = DefaultClassifier.Classify(new Post("1", "x", text, Author: new Author(Handle: "joe")), ctx);
        var journo = DefaultClassifier.Classify(new Post("2", "x", text, Author: new Author(Handle: "jane")), ctx);
        Assert.True(journo.Urgency > anon.Urgency);
        Assert.Equal("journalist list", journo.Explain.Influence);
    }
}
