using Switchboard.Classification.Text;

namespace Switchboard.Classification.Sentiment;

internal enum SentimentLabel
{
    Negative,
    Neutral,
    Positive,
}

// Tunable constants of the rule-based sentiment. Defaults were chosen by hand and checked on the airline train
// split; see docs/classification.md.
internal sealed record SentimentOptions
{
    public float NegationFactor { get; init; } = -0.6f;
    public int NegationScope { get; init; } = 3;
    public float CapsFactor { get; init; } = 1.3f;
    public float ElongationFactor { get; init; } = 1.2f;
    public float BeforeContrastFactor { get; init; } = 0.5f;
    public float AfterContrastFactor { get; init; } = 1.5f;
    public float ExclamationBoost { get; init; } = 0.3f;
    public float ShoutingFactor { get; init; } = 1.2f;
    // Complaints are written with fewer strong words than praise; weighting negative evidence up evens that out.
    public float NegativeBias { get; init; } = 1.2f;
    // A negation on its own ("can't get through", "never arrived") leans negative in posts addressed to a brand.
    public float NegatorValence { get; init; } = -0.5f;
    // "??" or "?!" reads as exasperation, a single "?" as a plain question.
    public float RepeatedQuestionValence { get; init; } = -1f;
    // Squashing constant: score = s / sqrt(s² + Alpha) maps the raw sum into (-1, 1).
    public float Alpha { get; init; } = 15f;
    public float PositiveThreshold { get; init; } = 0.35f;
    public float NegativeThreshold { get; init; } = -0.1f;

    public static SentimentOptions Default { get; } = new();
}

internal readonly record struct SentimentEvidence(string Text, float Weight);

internal sealed record SentimentResult(SentimentLabel Label, double Score, IReadOnlyList<SentimentEvidence> Evidence);

// Lexicon-and-rules sentiment: each sentiment word contributes its valence, modified by degree words before it,
// negation in its clause, capitals, elongation and its side of a contrast ("but"); emoticons and emoji count as
// words; exclamation marks amplify. The sum is squashed into (-1, 1) and thresholded into three labels.
internal static class SentimentAnalyzer
{
    private const int MaxEvidence = 64;

    [ThreadStatic]
    private static Scratch? scratch;

    private sealed class Scratch
    {
        public readonly float[] Values = new float[MaxEvidence];
        public readonly int[] From = new int[MaxEvidence];
        public readonly int[] To = new int[MaxEvidence];
        public readonly char[] Squeeze = new char[Tokenizer.MaxChars];
    }

    public static SentimentResult Analyze(TokenBuffer tokens, SentimentOptions? options = null)
    {
        var o = options ?? SentimentOptions.Default;
        var s = scratch ??= new Scratch();
        WordTable.Annotate(tokens);
        var raw = Score(tokens, o, s, out var count);
        var score = raw / Math.Sqrt((raw * raw) + o.Alpha);
        var label = score >= o.PositiveThreshold ? SentimentLabel.Positive
            : score <= o.NegativeThreshold ? SentimentLabel.Negative
            : SentimentLabel.Neutral;
        return new SentimentResult(label, Math.Round(score, 4), TopEvidence(tokens, s, count));
    }

    private static float Score(TokenBuffer b, SentimentOptions o, Scratch s, out int count)
    {
        var lex = SentimentLexicon.Valences;
        var items = b.Items;
        count = 0;
        var negationLeft = 0;
        var negatorAt = -1;
        var contrastAt = -1;
        var exclamations = 0;
        var prevDegree = 1f;
        var prevPrevDegree = 1f;
        var shouting = b.Letters >= 8 && b.UpperLetters * 10 >= b.Letters * 8;

        for (var i = 0; i < b.Count; i++)
        {
            ref var t = ref items[i];
            switch (t.Kind)
            {
                case TokenKind.Break:
                    negationLeft = 0;
                    prevDegree = prevPrevDegree = 1f;
                    continue;
                case TokenKind.Exclamation:
                    exclamations++;
                    negationLeft = 0;
                    continue;
                case TokenKind.Question:
                    negationLeft = 0;
                    if (i > 0 && items[i - 1].Kind is TokenKind.Question or TokenKind.Exclamation
                        && (i < 2 || items[i - 2].Kind is not (TokenKind.Question or TokenKind.Exclamation))
                        && count < MaxEvidence)
                    {
                        s.Values[count] = o.RepeatedQuestionValence * o.NegativeBias;
                        s.From[count] = i - 1;
                        s.To[count] = i;
                        count++;
                    }

                    continue;
                case TokenKind.Emoticon or TokenKind.Emoji:
                    if (t.Uni is { HasValence: true, Valence: not 0 and var ev } && count < MaxEvidence)
                    {
                        s.Values[count] = ev < 0 ? ev * o.NegativeBias : ev;
                        s.From[count] = s.To[count] = i;
                        count++;
                    }

                    continue;
                case TokenKind.Word or TokenKind.Hashtag:
                    break;
                default:
                    continue;
            }

            var word = b.Text(t);
            var uni = t.Uni;
            if (uni is { Contrast: true })
            {
                contrastAt = count;
                negationLeft = 0;
                prevDegree = prevPrevDegree = 1f;
                continue;
            }

            var to = i;
            var isNegator = uni is { Negator: true } || word.EndsWith("n't");
            var found = false;
            var v = 0f;
            // Phrases first: "on hold", "no problem", "let down" mean more than their words.
            if (t.Bi is { HasValence: true } bi)
            {
                found = true;
                v = bi.Valence;
                to = i + 1;
            }
            else if (uni is { HasValence: true })
            {
                found = true;
                v = uni.Valence;
            }
            else if (t.Elongated)
            {
                var n = Tokenizer.SqueezeToSingle(word, s.Squeeze);
                found = lex.TryGet(s.Squeeze.AsSpan(0, n), out v);
            }
            else if (t.Kind == TokenKind.Hashtag && word.Length > 5)
            {
                // Hashtags run words together (#lovejetblue, #worstservice): try the longest known prefix.
                for (var len = Math.Min(word.Length - 1, 12); len >= 4 && !found; len--)
                {
                    found = lex.TryGet(word[..len], out v);
                }
            }

            if (!found && isNegator && to == i)
            {
                found = true;
                v = o.NegatorValence;
            }

            if (found && v != 0)
            {
                v *= prevDegree * (1 + ((prevPrevDegree - 1) * 0.5f));
                if (t.AllCaps && !shouting)
                {
                    v *= o.CapsFactor;
                }

                if (t.Elongated)
                {
                    v *= o.ElongationFactor;
                }

                if (negationLeft > 0 && !isNegator)
                {
                    v *= o.NegationFactor;
                    // The negation's meaning now lives in the flipped word: drop its own standalone valence.
                    if (negatorAt >= 0)
                    {
                        s.Values[negatorAt] = 0;
                        negatorAt = -1;
                    }
                }

                if (v < 0)
                {
                    v *= o.NegativeBias;
                }

                if (count < MaxEvidence)
                {
                    s.Values[count] = v;
                    s.From[count] = i;
                    s.To[count] = to;
                    count++;
                }
            }

            if (isNegator && to == i)
            {
                negationLeft = o.NegationScope;
                negatorAt = found && count > 0 && s.From[count - 1] == i ? count - 1 : -1;
            }
            else if (negationLeft > 0)
            {
                negationLeft--;
            }

            prevPrevDegree = prevDegree;
            prevDegree = uni?.Degree ?? 1f;
            i = to;
        }

        if (contrastAt >= 0)
        {
            for (var k = 0; k < count; k++)
            {
                s.Values[k] *= k < contrastAt ? o.BeforeContrastFactor : o.AfterContrastFactor;
            }
        }

        var sum = 0f;
        for (var k = 0; k < count; k++)
        {
            sum += s.Values[k];
        }

        if (sum != 0 && exclamations > 0)
        {
            sum += Math.Sign(sum) * Math.Min(exclamations, 4) * o.ExclamationBoost;
        }

        if (shouting)
        {
            sum *= o.ShoutingFactor;
        }

        return sum;
    }

    // The three strongest contributions, for the explanation shown next to the label.
    private static SentimentEvidence[] TopEvidence(TokenBuffer b, Scratch s, int count)
    {
        if (count == 0)
        {
            return [];
        }

        var take = Math.Min(3, count);
        var result = new SentimentEvidence[take];
        Span<int> chosen = stackalloc int[3];
        for (var r = 0; r < take; r++)
        {
            var best = -1;
            for (var k = 0; k < count; k++)
            {
                if (chosen[..r].Contains(k))
                {
                    continue;
                }

                if (best < 0 || Math.Abs(s.Values[k]) > Math.Abs(s.Values[best]))
                {
                    best = k;
                }
            }

            if (s.Values[best] == 0)
            {
                return result[..r];
            }

            chosen[r] = best;
            result[r] = new SentimentEvidence(b.Span(s.From[best], s.To[best]).ToString(), MathF.Round(s.Values[best], 2));
        }

        return result;
    }
}
