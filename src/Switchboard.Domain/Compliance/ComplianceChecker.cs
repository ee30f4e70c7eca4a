using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Compliance;

/// <summary>
/// Checks a reply against a rule set. Pure and total: it never throws for any text (a regular expression that runs
/// out of time is reported as a finding, fail-closed with the rule's severity), and its cost is bounded: texts
/// longer than <see cref="MaxTextLength"/> are refused as a finding instead of being scanned.
/// </summary>
internal static class ComplianceChecker
{
    /// <summary>Far above any network's reply limit; an API caller sending more gets one finding, not a slow scan.</summary>
    public const int MaxTextLength = 20_000;

    /// <summary>At most this many findings per rule, so a flood of matches cannot produce a flood of output.</summary>
    public const int MaxFindingsPerRule = 25;

    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly CompareInfo Compare = CultureInfo.InvariantCulture.CompareInfo;

    /// <summary>Case, accents and full-width forms do not hide a phrase: "GUARANTEE", "guarantée" and "ｇｕａｒａｎｔｅｅ" all match.</summary>
    private const CompareOptions PhraseOptions = CompareOptions.IgnoreCase | CompareOptions.IgnoreNonSpace | CompareOptions.IgnoreWidth | CompareOptions.IgnoreKanaType;

    public static ComplianceResult Check(RuleSet rules, string text, CompiledPatterns? patterns = null)
    {
        if (text.Length > MaxTextLength)
        {
            return new ComplianceResult([new Finding("length", RuleKind.Tone, Severity.Block,
                $"The reply is {text.Length} characters; compliance checks stop at {MaxTextLength}.", 0, 0)]);
        }

        patterns ??= CompiledPatterns.For(rules);
        var findings = new List<Finding>();
        foreach (var rule in rules.Rules)
        {
            findings.AddRange(CheckRule(rule, text, patterns).Take(MaxFindingsPerRule));
        }

        return new ComplianceResult([.. findings.OrderBy(f => f.Start).ThenBy(f => f.Rule, StringComparer.Ordinal)]);
    }

    private static IEnumerable<Finding> CheckRule(ComplianceRule rule, string text, CompiledPatterns patterns)
    {
        Finding F(string reason, int start, int length) => new(rule.Id, rule.Kind, rule.Severity, rule.Reason is null ? reason : $"{rule.Reason}: {reason}", start, length);

        switch (rule.Kind)
        {
            case RuleKind.BannedPhrases:
            case RuleKind.LegalReview:
                foreach (var phrase in rule.Phrases ?? [])
                {
                    foreach (var (start, length) in FindPhrase(text, phrase))
                    {
                        // A prefix names the word it found ("guaranteed"), not the pattern ("guarantee*").
                        var found = phrase.EndsWith('*') ? text.Substring(start, length) : phrase;
                        yield return F(rule.Kind == RuleKind.LegalReview ? $"\"{found}\" needs legal review" : $"\"{found}\" is not allowed", start, length);
                    }
                }

                break;

            case RuleKind.RequiredPhrases:
                var applies = rule.When is not { Count: > 0 } || rule.When.Any(w => FindPhrase(text, w).Any());
                if (applies && !(rule.Phrases ?? []).Any(p => FindPhrase(text, p).Any()))
                {
                    var required = string.Join(" or ", (rule.Phrases ?? []).Select(p => $"\"{p}\""));
                    yield return F($"the reply must contain {required}", text.Length, 0);
                }

                break;

            case RuleKind.Regex:
                foreach (var f in RegexFindings(rule, text, patterns, F))
                {
                    yield return f;
                }

                break;

            case RuleKind.PersonalData:
                foreach (var m in PersonalDataScanner.Scan(text, rule.Types ?? Enum.GetValues<PersonalDataType>()))
                {
                    yield return F($"contains {PersonalDataScanner.Describe(m.Type)}", m.Start, m.Length);
                }

                break;

            case RuleKind.Links:
                foreach (var link in LinkScanner.Scan(text))
                {
                    if (link.Host is null)
                    {
                        yield return F("a link that does not point to a web address", link.Start, link.Length);
                    }
                    else if (!LinkScanner.IsAllowed(link.Host, rule.AllowedDomains ?? []))
                    {
                        yield return F($"links to {link.Host}, which is not an allowed domain", link.Start, link.Length);
                    }
                }

                break;

            case RuleKind.Tone:
                foreach (var f in ToneFindings(rule, text, F))
                {
                    yield return f;
                }

                break;
        }
    }

    private static List<Finding> RegexFindings(ComplianceRule rule, string text, CompiledPatterns patterns, Func<string, int, int, Finding> f)
    {
        var result = new List<Finding>();
        var regex = patterns.Get(rule);
        if (regex is null)
        {
            result.Add(f("the pattern could not be compiled", 0, 0));
            return result;
        }

        try
        {
            for (var m = regex.Match(text); m.Success && result.Count < MaxFindingsPerRule; m = m.NextMatch())
            {
                result.Add(f("matches a forbidden pattern", m.Index, m.Length));
                if (m.Length == 0 && m.Index >= text.Length)
                {
                    break;
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: a check that could not finish cannot vouch for the text.
            result.Add(f($"the pattern took longer than {(rule.Timeout ?? DefaultRegexTimeout).TotalMilliseconds:0} ms on this text; check it by hand", 0, text.Length));
        }

        return result;
    }

    private static IEnumerable<Finding> ToneFindings(ComplianceRule rule, string text, Func<string, int, int, Finding> f)
    {
        int letters = 0, upper = 0, first = -1, last = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsLetter(text[i]))
            {
                continue;
            }

            letters++;
            if (char.IsUpper(text[i]))
            {
                upper++;
                first = first < 0 ? i : first;
                last = i;
            }
        }

        if (letters >= rule.MinLetters && upper > rule.MaxCapsRatio * letters)
        {
            yield return f($"{100.0 * upper / letters:0}% of the letters are capitals (shouting)", first, last - first + 1);
        }

        // Exclamation floods: a run of more than MaxExclamations '!' (also mixed with '?' and the full-width '！').
        var k = 0;
        while (k < text.Length)
        {
            if (!IsBang(text[k]))
            {
                k++;
                continue;
            }

            var start = k;
            var bangs = 0;
            while (k < text.Length && (IsBang(text[k]) || text[k] is '?' or '？' or '1'))
            {
                bangs += IsBang(text[k]) ? 1 : 0;
                k++;
            }

            if (bangs > rule.MaxExclamations)
            {
                yield return f($"{bangs} exclamation marks in a row", start, k - start);
            }
        }
    }

    // Combining accents belong to the word they follow ("garantie\u0301").
    private static bool IsMark(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static bool IsBang(char c) => c is '!' or '！' or '❗' or '❕' or '‼';

    /// <summary>
    /// Whole-word occurrences of a phrase (case, accent and width insensitive), as character spans. A phrase ending in
    /// <c>*</c> is a prefix: its last word may go on ("guarantee*" finds "guarantees" and "guaranteed", and the span
    /// covers the whole word), because a rule author who bans a promise means every form of it.
    /// </summary>
    internal static IEnumerable<(int Start, int Length)> FindPhrase(string text, string phrase)
    {
        var prefix = phrase.Length > 1 && phrase[^1] == '*';
        if (prefix)
        {
            phrase = phrase[..^1];
        }

        if (phrase.Length == 0)
        {
            yield break;
        }

        var from = 0;
        while (from < text.Length)
        {
            var idx = Compare.IndexOf(text.AsSpan(from), phrase.AsSpan(), PhraseOptions, out var length);
            if (idx < 0)
            {
                yield break;
            }

            var start = from + idx;
            var end = start + Math.Max(length, 1);
            while (prefix && end < text.Length && (char.IsLetterOrDigit(text[end]) || char.IsLowSurrogate(text[end]) || IsMark(text[end])))
            {
                end++;
            }

            var wordStart = start == 0 || !char.IsLetterOrDigit(text[start - 1]) || !char.IsLetterOrDigit(phrase[0]);
            var wordEnd = end >= text.Length || !char.IsLetterOrDigit(text[end]) || !char.IsLetterOrDigit(phrase[^1]);
            if (wordStart && wordEnd)
            {
                yield return (start, end - start);
            }

            from = start + 1;
        }
    }
}

/// <summary>
/// The compiled regular expressions of a rule set, built once per version (compiling per keystroke would be slow).
/// A pattern that does not compile maps to null; the loader refuses such rule sets, so this only guards old data.
/// </summary>
internal sealed class CompiledPatterns
{
    private readonly Dictionary<string, Regex?> _byRule = new(StringComparer.Ordinal);

    public static CompiledPatterns For(RuleSet rules)
    {
        var compiled = new CompiledPatterns();
        foreach (var rule in rules.Rules.Where(r => r.Kind == RuleKind.Regex))
        {
            compiled._byRule[rule.Id] = TryCompile(rule.Pattern ?? "", rule.Timeout ?? ComplianceChecker.DefaultRegexTimeout, out _);
        }

        return compiled;
    }

    public Regex? Get(ComplianceRule rule) => _byRule.GetValueOrDefault(rule.Id);

    /// <summary>Backtracking engine (rule authors use lookarounds) bounded by the match timeout.</summary>
    public static Regex? TryCompile(string pattern, TimeSpan timeout, out string? error)
    {
        try
        {
            error = null;
            return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
    }
}
