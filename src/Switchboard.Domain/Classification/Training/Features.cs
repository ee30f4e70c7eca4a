using System.Runtime.CompilerServices;
using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;

namespace Switchboard.Classification.Training;

// Turns a text into hashed sparse features: word unigrams and bigrams, negation-marked words, character 3- and
// 4-grams of each word, emoji/emoticons, punctuation marks, link/mention/number placeholders, and the default
// lexicon's sentiment as three dense features (so a model trained on little data starts from the lexicon's
// knowledge). The hashing is FNV-1a with a salt per feature family: stable across processes and platforms,
// which the model file relies on. FeatureVersion changes whenever any of this changes.
internal static class Features
{
    public const int FeatureVersion = 1;

    private const uint SaltWord = 0x9E3779B1, SaltBigram = 0x85EBCA77, SaltChar = 0xC2B2AE3D, SaltNeg = 0x27D4EB2F,
        SaltKind = 0x165667B1, SaltLex = 0xD3A2646C;

    [ThreadStatic]
    private static TokenBuffer? buffer;

    // Appends (index, value) pairs to the lists; values are scaled so the vector has unit L2 norm.
    public static void Extract(string text, int hashBits, List<int> indices, List<float> values)
    {
        indices.Clear();
        values.Clear();
        var b = buffer ??= new TokenBuffer();
        Tokenizer.Tokenize(text, b);
        var mask = (1 << hashBits) - 1;
        var negation = 0;
        var prev = -1;
        for (var i = 0; i < b.Count; i++)
        {
            ref var t = ref b.Items[i];
            switch (t.Kind)
            {
                case TokenKind.Break:
                    negation = 0;
                    prev = -1;
                    continue;
                case TokenKind.Url or TokenKind.Number or TokenKind.Exclamation or TokenKind.Question:
                    Add(indices, values, (int)(Mix(SaltKind, (uint)t.Kind) & mask), 1f);
                    if (t.Kind is TokenKind.Exclamation or TokenKind.Question)
                    {
                        negation = 0;
                    }

                    prev = -1;
                    continue;
                default:
                    break;
            }

            var word = b.Text(t);
            var salt = t.Kind == TokenKind.Mention ? SaltKind ^ 0x5bd1e995 : SaltWord;
            Add(indices, values, (int)(Hash(word, salt) & mask), 1f);
            if (negation > 0 && t.IsWordLike)
            {
                Add(indices, values, (int)(Hash(word, SaltNeg) & mask), 1f);
                negation--;
            }

            if (t.IsWordLike && (SentimentLexicon.Negators.Contains(word) || word.EndsWith("n't")))
            {
                negation = 3;
            }

            if (prev >= 0)
            {
                Add(indices, values, (int)(Hash(b.Span(prev, i), SaltBigram) & mask), 1f);
            }

            if (t.IsWordLike && word.Length >= 4)
            {
                // Character n-grams of the word with boundary spaces: catch misspellings, inflections, hashtags.
                var padded = b.Chars.AsSpan(Math.Max(0, t.Start - 1), t.Length + (t.Start > 0 ? 2 : 1));
                for (var n = 3; n <= 4; n++)
                {
                    for (var s = 0; s + n <= padded.Length; s++)
                    {
                        Add(indices, values, (int)(Hash(padded.Slice(s, n), SaltChar + (uint)n) & mask), 0.5f);
                    }
                }
            }

            prev = t.IsWordLike || t.Kind is TokenKind.Emoji or TokenKind.Emoticon ? i : -1;
        }

        var sentiment = SentimentAnalyzer.Analyze(b);
        Add(indices, values, (int)(Mix(SaltLex, 1) & mask), (float)sentiment.Score * 2);
        Add(indices, values, (int)(Mix(SaltLex, 2 + (uint)sentiment.Label) & mask), 1.5f);

        // Unit-normalise so long and short texts train at the same step size.
        var norm = 0f;
        foreach (var v in values)
        {
            norm += v * v;
        }

        if (norm > 0)
        {
            var inv = 1 / MathF.Sqrt(norm);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values);
            for (var k = 0; k < span.Length; k++)
            {
                span[k] *= inv;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(List<int> indices, List<float> values, int index, float value)
    {
        indices.Add(index);
        values.Add(value);
    }

    internal static uint Hash(ReadOnlySpan<char> s, uint salt)
    {
        var h = 2166136261u ^ salt;
        foreach (var c in s)
        {
            h = (h ^ c) * 16777619u;
        }

        return Finish(h);
    }

    private static uint Mix(uint salt, uint value) => Finish((2166136261u ^ salt ^ (value * 0x9E3779B1)) * 16777619u);

    // FNV's low bits mix poorly; a final avalanche spreads them before masking.
    private static uint Finish(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}
