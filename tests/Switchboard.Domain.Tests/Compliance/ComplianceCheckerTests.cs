using System.Diagnostics;
using Switchboard.Compliance;
using Xunit;

namespace Switchboard.Domain.Tests.Compliance;

public class ComplianceCheckerTests
{
    private static RuleSet Rules(string yaml)
    {
        var r = RuleSetLoader.Load(yaml);
        Assert.True(r.Ok, string.Join("\n", r.Errors));
        return r.RuleSet!;
    }

    private static readonly RuleSet PersonalData = Rules("""
        rules:
          - id: pd
            kind: personal_data
        """);

    private static string Spanned(string text, Finding f) => text.Substring(f.Start, f.Length);

    [Theory]
    [InlineData("card 4111111111111111 thanks", "4111111111111111")]
    [InlineData("card 4111 1111 1111 1111 thanks", "4111 1111 1111 1111")]
    [InlineData("card 4111-1111-1111-1111.", "4111-1111-1111-1111")]
    [InlineData("card 4111\u00A01111\u20131111\u20141111 ok", "4111\u00A01111\u20131111\u20141111")]
    [InlineData("card ４１１１ １１１１ １１１１ １１１１ ok", "４１１１ １１１１ １１１１ １１１１")]
    [InlineData("amex 3782 822463 10005", "3782 822463 10005")]
    [InlineData("zero\u200Bwidth 4111\u200B1111\u200B1111\u200B1111", "4111\u200B1111\u200B1111\u200B1111")]
    public void A_card_number_is_found_in_any_spelling_with_its_exact_span(string text, string expected)
    {
        var result = ComplianceChecker.Check(PersonalData, text);
        var card = Assert.Single(result.Findings);
        Assert.Equal(expected, Spanned(text, card));
        Assert.Contains("payment card", card.Reason, StringComparison.Ordinal);
        Assert.True(result.Blocked);
    }

    [Theory]
    [InlineData("order 4111111111111112 is on its way")] // fails Luhn
    [InlineData("your ticket 1234567890123 was closed")]
    [InlineData("we shipped 3 items on 2026-11-22 at 10:30")]
    [InlineData("0000 0000 0000 0000")]
    public void Numbers_that_are_not_cards_pass(string text) =>
        Assert.DoesNotContain(ComplianceChecker.Check(PersonalData, text).Findings, f => f.Reason.Contains("card", StringComparison.Ordinal));

    [Theory]
    [InlineData("ref 123-456-7890 closed")] // no area code starts with 1
    [InlineData("we shipped on 2026-11-22 at 10:30")]
    [InlineData("order 555-123-45678 shipped")] // not 3-3-4
    [InlineData("parts 555-123.4567 in stock")] // mixed separators
    [InlineData("ticket 5551234567 closed")] // ten bare digits: could be anything
    [InlineData("flight AA555-123-4567")] // glued to letters: a code, not a number to call
    public void Numbers_that_are_not_phone_numbers_pass(string text) =>
        Assert.DoesNotContain(ComplianceChecker.Check(PersonalData, text).Findings, f => f.Reason.Contains("phone", StringComparison.Ordinal));

    [Theory]
    [InlineData("IBAN DE89 3704 0044 0532 0130 00 is mine", "DE89 3704 0044 0532 0130 00")]
    [InlineData("pay to GB82WEST12345698765432.", "GB82WEST12345698765432")]
    [InlineData("pay to gb82 west 1234 5698 7654 32 now", "gb82 west 1234 5698 7654 32")]
    public void An_iban_is_found_with_spaces_and_checked_with_mod_97(string text, string expected)
    {
        var f = Assert.Single(ComplianceChecker.Check(PersonalData, text).Findings);
        Assert.Equal(expected, Spanned(text, f));
        Assert.Contains("IBAN", f.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_iban_with_a_wrong_check_digit_is_not_reported() =>
        Assert.Empty(ComplianceChecker.Check(PersonalData, "DE88 3704 0044 0532 0130 00").Findings);

    [Theory]
    [InlineData("write to jane.doe+x@example.co.uk please", "jane.doe+x@example.co.uk")]
    [InlineData("call +49 30 1234567 today", "+49 30 1234567")]
    [InlineData("call 030 1234 5678 today", "030 1234 5678")]
    [InlineData("call (555) 123-4567 today", "(555) 123-4567")]
    [InlineData("call 555-123-4567 today", "555-123-4567")]
    [InlineData("call 555.123.4567.", "555.123.4567")]
    [InlineData("call 212 555 0199 now", "212 555 0199")]
    [InlineData("call 1-800-555-0199 now", "1-800-555-0199")]
    public void Emails_and_phone_numbers_are_found(string text, string expected)
    {
        var f = Assert.Single(ComplianceChecker.Check(PersonalData, text).Findings);
        Assert.Equal(expected, Spanned(text, f));
    }

    private static readonly RuleSet LinkRules = Rules("""
        rules:
          - id: links
            kind: links
            allowed_domains: [example.com, help.example.org]
        """);

    [Theory]
    [InlineData("see https://example.com/help")]
    [InlineData("see https://status.example.com/x?y=1.")]
    [InlineData("see www.example.com")]
    [InlineData("see help.example.org/faq")]
    [InlineData("at 10:30 we note: nothing")]
    public void Links_to_allowed_domains_and_their_subdomains_pass(string text) =>
        Assert.Empty(ComplianceChecker.Check(LinkRules, text).Findings);

    [Theory]
    [InlineData("see https://evil.com?example.com", "evil.com")]
    [InlineData("see https://example.com@evil.com/", "evil.com")]
    [InlineData("see https://example.com.evil.com/", "example.com.evil.com")]
    [InlineData("see https://notexample.com/", "notexample.com")]
    [InlineData("see https://evil.com\\@example.com", "web address")] // unparsable: blocked as well
    [InlineData("see https://еxample.com/", "xn--xample-2of.com")] // Cyrillic е
    [InlineData("see evil.io/login", "evil.io")]
    [InlineData("see HTTPS://EVIL.COM", "evil.com")]
    public void Links_elsewhere_are_blocked_by_their_real_host(string text, string host)
    {
        var f = Assert.Single(ComplianceChecker.Check(LinkRules, text).Findings);
        Assert.Contains(host, f.Reason, StringComparison.Ordinal);
        Assert.StartsWith(text[f.Start..(f.Start + f.Length)], text[f.Start..], StringComparison.Ordinal);
    }

    [Fact]
    public void A_javascript_link_is_not_a_web_address()
    {
        var f = Assert.Single(ComplianceChecker.Check(LinkRules, "click javascript:alert(1)").Findings);
        Assert.Contains("does not point to a web address", f.Reason, StringComparison.Ordinal);
    }

    private static readonly RuleSet Phrases = Rules("""
        rules:
          - id: promises
            kind: banned_phrases
            phrases: [guarantee, "100% safe"]
          - id: legal
            kind: legal_review
            phrases: [lawsuit]
          - id: terms
            kind: required_phrases
            phrases: ["terms apply"]
            when: [discount]
        """);

    [Theory]
    [InlineData("We GUARANTEE it", "GUARANTEE")]
    [InlineData("We guarantée it", "guarantée")]
    [InlineData("We ｇｕａｒａｎｔｅｅ it", "ｇｕａｒａｎｔｅｅ")]
    [InlineData("It is 100% safe.", "100% safe")]
    public void Banned_phrases_match_whatever_the_case_accents_or_width(string text, string expected)
    {
        var result = ComplianceChecker.Check(Phrases, text);
        var f = Assert.Single(result.Findings);
        Assert.Equal(expected, Spanned(text, f));
        Assert.True(result.Blocked);
    }

    [Fact]
    public void Banned_phrases_match_whole_words_only() =>
        Assert.Empty(ComplianceChecker.Check(Phrases, "The guarantees page and lawsuits list").Findings);

    private static readonly RuleSet Prefixes = Rules("""
        rules:
          - id: promises
            kind: banned_phrases
            phrases: [guarantee*, "full refund*"]
        """);

    [Theory]
    [InlineData("Delivery is guaranteed by Friday.", "guaranteed")]
    [InlineData("Our GUARANTEES cover it", "GUARANTEES")]
    [InlineData("We guarantee it", "guarantee")]
    [InlineData("You get a full refunds package", "full refunds")]
    [InlineData("Garantiert? No: guarantée\u0301e", "guarantée\u0301e")]
    public void A_phrase_ending_in_a_star_finds_every_word_that_starts_with_it_and_names_that_word(string text, string expected)
    {
        var f = Assert.Single(ComplianceChecker.Check(Prefixes, text).Findings);
        Assert.Equal(expected, Spanned(text, f));
        Assert.Contains($"\"{expected}\" is not allowed", f.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("The unguaranteed offer")]
    [InlineData("A full-refund policy")]
    [InlineData("guarante is misspelt")]
    public void A_star_phrase_still_starts_at_a_word_boundary_and_needs_the_whole_prefix(string text) =>
        Assert.Empty(ComplianceChecker.Check(Prefixes, text).Findings);

    [Fact]
    public void A_legal_trigger_routes_to_review_instead_of_blocking()
    {
        var result = ComplianceChecker.Check(Phrases, "About the lawsuit: we will reply.");
        Assert.True(result.NeedsReview);
        Assert.False(result.Blocked);
        Assert.Equal("lawsuit", Spanned("About the lawsuit: we will reply.", result.Findings[0]));
    }

    [Fact]
    public void A_required_phrase_applies_only_when_its_condition_appears()
    {
        Assert.Empty(ComplianceChecker.Check(Phrases, "Hello there").Findings);
        var f = Assert.Single(ComplianceChecker.Check(Phrases, "Get a discount today").Findings);
        Assert.Equal("terms", f.Rule);
        Assert.Equal(0, f.Length);
        Assert.Empty(ComplianceChecker.Check(Phrases, "Get a discount today, terms apply").Findings);
    }

    private static readonly RuleSet Tone = Rules("""
        rules:
          - id: tone
            kind: tone
            max_exclamations: 2
        """);

    [Fact]
    public void Shouting_and_exclamation_floods_are_found()
    {
        Assert.Contains(ComplianceChecker.Check(Tone, "THIS IS COMPLETELY UNACCEPTABLE").Findings, f => f.Reason.Contains("capitals", StringComparison.Ordinal));
        var text = "Thanks so much!!!! See you";
        var bang = Assert.Single(ComplianceChecker.Check(Tone, text).Findings);
        Assert.Equal("!!!!", Spanned(text, bang));
        Assert.Empty(ComplianceChecker.Check(Tone, "Thanks! We are on it, NASA and IBM too!!").Findings);
    }

    [Fact]
    public void A_catastrophic_regex_times_out_as_a_finding_not_a_crash()
    {
        var rules = Rules("""
            rules:
              - id: evil
                kind: regex
                pattern: "^(a+)+$"
                timeout_ms: 20
            """);
        var text = new string('a', 40) + "!";
        var sw = Stopwatch.StartNew();
        var result = ComplianceChecker.Check(rules, text);
        sw.Stop();
        var f = Assert.Single(result.Findings);
        Assert.Contains("longer than 20 ms", f.Reason, StringComparison.Ordinal);
        Assert.True(result.Blocked);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public void A_regex_reports_every_match_with_its_span()
    {
        var rules = Rules("""
            rules:
              - id: ticket
                kind: regex
                pattern: "\\bINC-\\d+"
                severity: review
            """);
        var text = "see INC-12 and inc-9";
        var result = ComplianceChecker.Check(rules, text);
        Assert.Equal(["INC-12", "inc-9"], result.Findings.Select(f => Spanned(text, f)));
        Assert.True(result.NeedsReview);
    }

    [Fact]
    public void Huge_text_is_refused_quickly_and_findings_are_capped()
    {
        var huge = new string('x', ComplianceChecker.MaxTextLength + 1);
        Assert.True(ComplianceChecker.Check(DefaultRuleSet.RuleSet, huge).Blocked);

        var many = string.Concat(Enumerable.Repeat("guarantee ", 1900));
        var sw = Stopwatch.StartNew();
        var result = ComplianceChecker.Check(DefaultRuleSet.RuleSet, many);
        Assert.Equal(ComplianceChecker.MaxFindingsPerRule, result.Findings.Count(f => f.Rule == "promises"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Random_text_never_throws_and_spans_stay_inside_the_text()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        const string alphabet = "ab 19-+.@/:!?()ＡＢ４\u00A0\u200BéDE89https:wwwcom";
        for (var i = 0; i < 2000; i++)
        {
            var text = new string([.. Enumerable.Range(0, rng.Next(0, 80)).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
            var result = ComplianceChecker.Check(DefaultRuleSet.RuleSet, text);
            foreach (var f in result.Findings)
            {
                Assert.True(f.Start >= 0 && f.Length >= 0 && f.Start + f.Length <= text.Length, $"seed {seed}: span {f.Start}+{f.Length} outside '{text}'");
            }
        }
    }
}
