using Switchboard.Inbox;
using Xunit;

namespace Switchboard.Domain.Tests.Inbox;

public class SearchTextTests
{
    [Theory]
    [InlineData("refund", "\"refund\"*")]
    [InlineData("Lost  LUGGAGE!", "\"lost\" \"luggage\"*")]
    [InlineData("\"refund\" NEAR(order)", "\"refund\" \"near\" \"order\"*")]
    [InlineData("text:refund OR -x", "\"text\" \"refund\" \"or\" \"x\"*")]
    [InlineData("Café naïve", "\"café\" \"naïve\"*")]
    public void Every_word_is_quoted_so_no_input_is_fts5_syntax(string input, string expected) =>
        Assert.Equal(expected, SearchText.Parse(input).Search!.ToFts5());

    [Fact]
    public void Tsquery_terms_are_quoted_and_joined_with_and() =>
        Assert.Equal("'a' & 'b' & 'c':*", SearchText.Parse("a & !b | c:*").Search!.ToTsQuery());

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("   ", "empty")]
    [InlineData("\"*():^-", "no words")]
    public void Unsearchable_input_is_refused_with_a_reason(string? input, string reason) =>
        Assert.Contains(reason, SearchText.Parse(input).Error, StringComparison.Ordinal);

    [Fact]
    public void Lone_surrogates_are_refused_not_thrown() =>
        Assert.Contains("invalid characters", SearchText.Parse("refund " + (char)0xD800).Error, StringComparison.Ordinal);

    [Fact]
    public void Oversized_and_overlong_searches_are_refused()
    {
        Assert.Contains("longer than", SearchText.Parse(new string('x', SearchText.MaxLength + 1)).Error, StringComparison.Ordinal);
        Assert.Contains("more than", SearchText.Parse(string.Join(' ', Enumerable.Range(0, SearchText.MaxTerms + 1).Select(i => "w" + i))).Error, StringComparison.Ordinal);
        Assert.Single(SearchText.Parse("same same SAME").Search!.Terms);
    }

    [Fact]
    public void Random_input_never_produces_an_unbalanced_quote()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        const string alphabet = "ab \"'*:()^-+NEAR&|!\\\u00e9\u0301😀";
        for (var i = 0; i < 2000; i++)
        {
            var s = new string([.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            var (search, _) = SearchText.Parse(s);
            if (search is null)
            {
                continue;
            }

            var fts = search.ToFts5();
            Assert.True(fts.Count(c => c == '"') % 2 == 0, $"seed {seed}: {s} → {fts}");
            Assert.All(search.Terms, t => Assert.DoesNotContain('"', t));
        }
    }
}

public class CsvFieldTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("line\nbreak", "\"line\nbreak\"")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+cmd", "'+cmd")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")]
    [InlineData("\tTAB", "'\tTAB")]
    [InlineData(null, "")]
    public void Cells_are_quoted_and_formula_safe(string? value, string expected) => Assert.Equal(expected, CsvField.Escape(value));

    [Fact]
    public void A_row_ends_with_crlf() => Assert.Equal("a,'=b,\r\n", CsvField.Row(["a", "=b", null]));
}

public class SignInThrottleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Locks_after_the_limit_inside_the_window_and_unlocks_when_the_oldest_leaves()
    {
        var failures = Enumerable.Range(0, 5).Select(i => T0.AddMinutes(i)).ToList();
        Assert.Null(SignInThrottle.RetryAfter(failures[..4], 5, T0.AddMinutes(4)));
        Assert.Equal(TimeSpan.FromMinutes(11), SignInThrottle.RetryAfter(failures, 5, T0.AddMinutes(4)));
        Assert.Null(SignInThrottle.RetryAfter(failures, 5, T0.AddMinutes(15)));
    }

    [Fact]
    public void Old_failures_do_not_count() =>
        Assert.Null(SignInThrottle.RetryAfter([.. Enumerable.Range(0, 10).Select(i => T0.AddHours(-1).AddMinutes(i))], 5, T0));
}

public class ConversationActionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly ConversationState Open = new("open", 1, 7, null);

    [Fact]
    public void Transfer_to_another_team_without_an_agent_unassigns()
    {
        var (after, _) = ConversationAction.Apply(Open, new ConversationAction.Assign(null, 2), Now);
        Assert.Equal(new ConversationState("open", 2, null, null), after);
        Assert.Equal(7, ConversationAction.Apply(Open, new ConversationAction.Assign(null, 1), Now).After!.AssigneeId);
        Assert.NotNull(ConversationAction.Apply(Open, new ConversationAction.Assign(null, null), Now).Error);
    }

    [Fact]
    public void Snooze_needs_a_future_time_within_ninety_days_and_an_unresolved_conversation()
    {
        Assert.NotNull(ConversationAction.Apply(Open, new ConversationAction.Snooze(Now), Now).Error);
        Assert.NotNull(ConversationAction.Apply(Open, new ConversationAction.Snooze(Now.AddDays(91)), Now).Error);
        Assert.NotNull(ConversationAction.Apply(Open with { Status = "resolved" }, new ConversationAction.Snooze(Now.AddHours(1)), Now).Error);
        Assert.Equal("snoozed", ConversationAction.Apply(Open, new ConversationAction.Snooze(Now.AddHours(1)), Now).After!.Status);
    }

    [Fact]
    public void Resolve_and_reopen_clear_the_snooze_and_repeat_safely()
    {
        var snoozed = Open with { Status = "snoozed", SnoozedUntil = Now.AddHours(1) };
        var resolved = ConversationAction.Apply(snoozed, new ConversationAction.Resolve(), Now).After!;
        Assert.Equal(new ConversationState("resolved", 1, 7, null), resolved);
        Assert.Equal(resolved, ConversationAction.Apply(resolved, new ConversationAction.Resolve(), Now).After);
        Assert.Equal("open", ConversationAction.Apply(resolved, new ConversationAction.Reopen(), Now).After!.Status);
    }
}

public class MentionsTests
{
    [Fact]
    public void Mentions_are_names_after_at_signs_not_email_addresses() =>
        Assert.Equal(["maria", "fatima.s", "tom"], Mentions.Parse("@maria please ask @Fatima.S, not me@example.com; (@tom) @maria"));
}
