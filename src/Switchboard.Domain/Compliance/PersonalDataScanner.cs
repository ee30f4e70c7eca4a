using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Compliance;

/// <summary>A piece of personal data found in a text: its type and its character span.</summary>
internal sealed record PersonalDataMatch(PersonalDataType Type, int Start, int Length);

/// <summary>
/// Finds personal data in a reply. Digits are any Unicode decimal digit (so fullwidth "４１１１" counts) and groups may be
/// separated by spaces of any kind, dashes, dots or slashes, because people (and evaders) write card numbers that way.
/// Card numbers must pass the Luhn check and IBANs the ISO 13616 mod-97 check, so order numbers and dates are not
/// flagged. Linear time: every scanner walks the text once (the few regexes are non-backtracking).
/// </summary>
internal static class PersonalDataScanner
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);

    private static readonly Regex Email = new(
        @"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout);

    public static IReadOnlyList<PersonalDataMatch> Scan(string text, IReadOnlyCollection<PersonalDataType> types)
    {
        var found = new List<PersonalDataMatch>();
        if (types.Contains(PersonalDataType.Card))
        {
            found.AddRange(Cards(text));
        }

        if (types.Contains(PersonalDataType.Iban))
        {
            found.AddRange(Ibans(text));
        }

        if (types.Contains(PersonalDataType.Email))
        {
            found.AddRange(Email.Matches(text).Select(m => new PersonalDataMatch(PersonalDataType.Email, m.Index, m.Length)));
        }

        if (types.Contains(PersonalDataType.Phone))
        {
            // A card or IBAN is also a long run of digits: report it once, as the more specific thing.
            found.AddRange(Phones(text).Where(p => !found.Any(f => Overlaps(f, p))));
        }

        return [.. found.OrderBy(f => f.Start)];
    }

    private static bool Overlaps(PersonalDataMatch a, PersonalDataMatch b) => a.Start < b.Start + b.Length && b.Start < a.Start + a.Length;

    private static bool IsSeparator(char c) =>
        c is '-' or '.' or '/' or '(' or ')' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212' or '\uFE58' or '\uFE63' or '\uFF0D'
        || (char.IsWhiteSpace(c) && c is not ('\n' or '\r'))
        || c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF'; // zero-width characters hide nothing

    /// <summary>A maximal run of digits, its position and its digit values.</summary>
    private readonly record struct DigitGroup(int Start, int End, int[] Digits);

    /// <summary>Groups of digits, with the separators between them; a run breaks at anything else or at 3+ separators.</summary>
    private static List<List<DigitGroup>> DigitRuns(string text)
    {
        var runs = new List<List<DigitGroup>>();
        List<DigitGroup>? run = null;
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsDigit(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var digits = new List<int>();
            while (i < text.Length && char.IsDigit(text[i]))
            {
                digits.Add((int)char.GetNumericValue(text[i]));
                i++;
            }

            var group = new DigitGroup(start, i, [.. digits]);
            var glued = run is not null && run.Count > 0 && Separated(text, run[^1].End, start);
            if (!glued || (start > 0 && char.IsLetter(text[start - 1])))
            {
                run = [];
                runs.Add(run);
            }

            run!.Add(group);
        }

        return runs;
    }

    /// <summary>Whether only 1–2 separator characters lie between two digit groups.</summary>
    private static bool Separated(string text, int from, int to)
    {
        if (to - from is < 1 or > 2)
        {
            return false;
        }

        for (var k = from; k < to; k++)
        {
            if (!IsSeparator(text[k]))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<PersonalDataMatch> Cards(string text)
    {
        foreach (var run in DigitRuns(text))
        {
            var g = 0;
            while (g < run.Count)
            {
                // The longest Luhn-valid sequence of whole groups starting here with 13–19 digits.
                var best = -1;
                var digits = new List<int>();
                for (var h = g; h < run.Count; h++)
                {
                    digits.AddRange(run[h].Digits);
                    if (digits.Count > 19)
                    {
                        break;
                    }

                    if (digits.Count >= 13 && Luhn(digits))
                    {
                        best = h;
                    }
                }

                if (best >= 0)
                {
                    yield return new PersonalDataMatch(PersonalDataType.Card, run[g].Start, run[best].End - run[g].Start);
                    g = best + 1;
                }
                else
                {
                    g++;
                }
            }
        }
    }

    /// <summary>The Luhn checksum (ISO/IEC 7812): doubling every second digit from the right; all zeros is not a card.</summary>
    internal static bool Luhn(IReadOnlyList<int> digits)
    {
        var sum = 0;
        var allZero = true;
        for (var k = 0; k < digits.Count; k++)
        {
            var d = digits[digits.Count - 1 - k];
            allZero &= d == 0;
            if (k % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return !allZero && sum % 10 == 0;
    }

    private static IEnumerable<PersonalDataMatch> Phones(string text)
    {
        foreach (var run in DigitRuns(text))
        {
            var first = run[0];
            var start = first.Start;
            // An international prefix: "+49 …" (also "(+49)") counts as part of the number.
            var plus = start > 0 && text[start - 1] is '+' or '\uFF0B';
            if (start > 1 && text[start - 1] == '(' && text[start - 2] is '+' or '\uFF0B')
            {
                plus = true;
            }

            var total = run.Sum(r => r.Digits.Length);
            var trunk = first.Digits[0] == 0;
            var parenthesised = start > 0 && text[start - 1] == '(';
            // Deliberately narrow, so order numbers, dates and amounts pass: +country numbers (8–15 digits, E.164),
            // national numbers with a trunk 0 (9–13 digits), "(555) 123-4567" style area codes (10 digits), and the
            // North American 555-123-4567 shape.
            var isPhone = (plus && total is >= 8 and <= 15) || (trunk && total is >= 9 and <= 13)
                          || (parenthesised && total == 10) || NorthAmerican(text, run);
            if (isPhone)
            {
                var s = plus ? text.LastIndexOfAny(['+', '\uFF0B'], start - 1) : parenthesised ? start - 1 : start;
                yield return new PersonalDataMatch(PersonalDataType.Phone, s, run[^1].End - s);
            }
        }
    }

    /// <summary>
    /// "555-123-4567", "555.123.4567", "555 123 4567" and the same after a "1-": the North American 3-3-4 shape with
    /// one separator used throughout and an area code that cannot start with 0 or 1. The shape decides, not the count:
    /// ten bare digits are as likely an order number, and dates and amounts do not group 3-3-4.
    /// </summary>
    private static bool NorthAmerican(string text, List<DigitGroup> run)
    {
        var area = run.Count switch
        {
            3 => 0,
            4 when run[0].Digits is [1] => 1,
            _ => -1,
        };
        if (area < 0 || run[area].Digits.Length != 3 || run[area + 1].Digits.Length != 3 || run[area + 2].Digits.Length != 4
            || run[area].Digits[0] < 2)
        {
            return false;
        }

        // Glued to letters ("AA555-123-4567") it is a code, not a number to call.
        var before = run[0].Start - 1;
        var after = run[^1].End;
        if ((before >= 0 && char.IsLetter(text[before])) || (after < text.Length && char.IsLetter(text[after])))
        {
            return false;
        }

        var separator = text[run[0].End];
        if (separator is not ('-' or '.' or ' '))
        {
            return false;
        }

        for (var i = 0; i + 1 < run.Count; i++)
        {
            if (run[i + 1].Start - run[i].End != 1 || text[run[i].End] != separator)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<PersonalDataMatch> Ibans(string text)
    {
        var i = 0;
        while (i + 1 < text.Length)
        {
            // Candidate start: two Latin letters at a word start, then two digits (spaces between groups allowed).
            if (IsLatinLetter(text[i]) && IsLatinLetter(text[i + 1]) && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
            {
                if (TryIban(text, i, out var length))
                {
                    yield return new PersonalDataMatch(PersonalDataType.Iban, i, length);
                    i += length;
                    continue;
                }
            }

            i++;
        }
    }

    private static bool IsLatinLetter(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z');

    /// <summary>Reads up to 34 alphanumerics (single spaces allowed) and accepts the longest prefix that is a valid IBAN.</summary>
    private static bool TryIban(string text, int start, out int length)
    {
        length = 0;
        var chars = new List<char>();
        var ends = new List<int>();
        var k = start;
        while (k < text.Length && chars.Count < 34)
        {
            var c = text[k];
            if (char.IsAsciiLetterOrDigit(c))
            {
                chars.Add(char.ToUpperInvariant(c));
                ends.Add(k + 1);
                k++;
            }
            else if (c == ' ' && k + 1 < text.Length && char.IsAsciiLetterOrDigit(text[k + 1]) && chars.Count >= 4)
            {
                k++;
            }
            else
            {
                break;
            }
        }

        if (chars.Count < 15 || !char.IsAsciiDigit(chars[2]) || !char.IsAsciiDigit(chars[3]))
        {
            return false;
        }

        // Longest first; the end must not cut a word in half (the next character is not alphanumeric).
        for (var n = chars.Count; n >= 15; n--)
        {
            var end = ends[n - 1];
            if (end < text.Length && char.IsAsciiLetterOrDigit(text[end]))
            {
                continue;
            }

            if (Mod97(chars, n) == 1)
            {
                length = end - start;
                return true;
            }
        }

        return false;
    }

    /// <summary>ISO 13616: move the first four characters to the end, letters become 10..35, the number mod 97.</summary>
    internal static int Mod97(IReadOnlyList<char> iban, int n)
    {
        var rem = 0;
        for (var j = 0; j < n; j++)
        {
            var c = iban[(j + 4) % n];
            var value = char.IsAsciiDigit(c) ? c - '0' : c - 'A' + 10;
            rem = value >= 10 ? ((rem * 100) + value) % 97 : ((rem * 10) + value) % 97;
        }

        return rem;
    }

    internal static string Describe(PersonalDataType t) => t switch
    {
        PersonalDataType.Card => "a payment card number",
        PersonalDataType.Iban => "a bank account number (IBAN)",
        PersonalDataType.Email => "an email address",
        PersonalDataType.Phone => "a phone number",
        _ => t.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
