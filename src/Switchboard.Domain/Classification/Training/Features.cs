using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;

namespace Switchboard.Classification.Training;

// Turns a text into hashed sparse features: word unigrams and bigrams, negation-marked words, character 3- to
// 5-grams inside each word of three or more letters (with the word boundaries marked, so "late" and "lately"
// share "lat" but not " late "), emoji/emoticons, punctuation marks, link/mention/number placeholders, and the
// default lexicon's sentiment as dense features (so a model trained on little data starts from the lexicon's
// knowledge). A feature that occurs twice in a text gets one entry with the summed value (term frequency).
// The hashing is FNV-1a with a salt per feature family: stable across processes and platforms, which the model
// file relies on. FeatureVersion changes whenever any of this changes.
//
// Extract gives raw term weights; Weigh then multiplies each by the model's inverse document frequency (learned
// from the training set, stored in the model file) and scales the vector to unit L2 norm. Choices measured by
// 5-fold cross-validation on the airline tweets (docs/classification.md): IDF weighting and the 3–5 character
// n-grams each added about a point of complaint-reason accuracy; character n-gram weight 0.5 kept sentiment level.
internal static class Features
{
    public const int FeatureVersion = 2;

    private const uint SaltWord = 0x9E3779B1, SaltBigram = 0x85EBCA77, SaltChar = 0xC2B2AE3D, SaltNeg = 0x27D4EB2F,
        SaltKind = 0x165667B1, SaltLex = 0xD3A2646C, SaltMention = SaltKind ^ 0x5bd1e995;

    private const int MinCharGramWord = 3, MinCharGram = 3, MaxCharGram = 5;
    private const float CharGramWeight = 0.5f;

    [ThreadStatic]
    private static TokenBuffer? buffer;

    [ThreadStatic]
    private static Scratch? scratch;

    // Fills indices/values with the text's features, one entry per distinct feature index, values not normalised.
    public static void Extract(string text, int hashBits, List<int> indices, List<float> values)
    {
        indices.Clear();
        values.Clear();
        var b = buffer ??= new TokenBuffer();
        var s = scratch ??= new Scratch();
        s.Begin(indices, values, (1 << hashBits) - 1);
        Tokenizer.Tokenize(text, b);
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
                    s.Add(Mix(SaltKind, (uint)t.Kind), 1f);
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
            s.Add(Hash(word, t.Kind == TokenKind.Mention ? SaltMention : SaltWord), 1f);
            if (negation > 0 && t.IsWordLike)
            {
                s.Add(Hash(word, SaltNeg), 1f);
                negation--;
            }

            if (t.IsWordLike && (SentimentLexicon.Negators.Contains(word) || word.EndsWith("n't")))
            {
                negation = 3;
            }

            if (prev >= 0)
            {
                s.Add(Hash(b.Span(prev, i), SaltBigram), 1f);
            }

            if (t.IsWordLike && word.Length >= MinCharGramWord)
            {
                // Character n-grams of " word ": catch misspellings, inflections, run-together hashtags.
                // One FNV pass from each start position yields its 3-, 4- and 5-gram in turn (the length is mixed
                // in before the final avalanche), instead of hashing every n-gram from scratch.
                var padded = s.Pad(word);
                for (var p = 0; p + MinCharGram <= padded.Length; p++)
                {
                    var h = 2166136261u ^ SaltChar;
                    var end = Math.Min(padded.Length, p + MaxCharGram);
                    for (var e = p; e < end; e++)
                    {
                        h = (h ^ padded[e]) * 16777619u;
                        var n = e - p + 1;
                        if (n >= MinCharGram)
                        {
                            s.Add(Finish(h ^ ((uint)n * 0x9E3779B1)), CharGramWeight);
                        }
                    }
                }
            }

            prev = t.IsWordLike || t.Kind is TokenKind.Emoji or TokenKind.Emoticon ? i : -1;
        }

        var sentiment = SentimentAnalyzer.Analyze(b);
        s.Add(Mix(SaltLex, 1), (float)sentiment.Score * 2);
        s.Add(Mix(SaltLex, 2 + (uint)sentiment.Label), 1.5f);
        s.End();
    }

    // Multiplies each value by idf[index], drops features the model never saw (idf 0: they carry no weight, and
    // leaving them out keeps a text's norm comparable to the training texts'), and scales to unit L2 norm so long
    // and short texts train at the same step size.
    public static void Weigh(List<int> indices, List<float> values, float[] idf)
    {
        var idx = CollectionsMarshal.AsSpan(indices);
        var val = CollectionsMarshal.AsSpan(values);
        var kept = 0;
        var norm = 0f;
        for (var i = 0; i < idx.Length; i++)
        {
            var v = val[i] * idf[idx[i]];
            if (v == 0)
            {
                continue;
            }

            idx[kept] = idx[i];
            val[kept++] = v;
            norm += v * v;
        }

        indices.RemoveRange(kept, indices.Count - kept);
        values.RemoveRange(kept, values.Count - kept);
        if (norm > 0)
        {
            var inv = 1 / MathF.Sqrt(norm);
            val = CollectionsMarshal.AsSpan(values);
            for (var i = 0; i < val.Length; i++)
            {
                val[i] *= inv;
            }
        }
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

    // Per-thread state for one extraction: an open-addressing table from feature index to its position in the
    // output lists (so repeats are summed without sorting), and a buffer for the space-padded word.
    private sealed class Scratch
    {
        private int[] keys = new int[1024];
        private int[] slots = new int[1024];
        private char[] pad = new char[64];
        private List<int> indices = [];
        private List<float> values = [];
        private int mask;

        public void Begin(List<int> idx, List<float> val, int hashMask)
        {
            indices = idx;
            values = val;
            mask = hashMask;
        }

        public ReadOnlySpan<char> Pad(ReadOnlySpan<char> word)
        {
            if (pad.Length < word.Length + 2)
            {
                pad = new char[word.Length + 2];
            }

            pad[0] = ' ';
            word.CopyTo(pad.AsSpan(1));
            pad[word.Length + 1] = ' ';
            return pad.AsSpan(0, word.Length + 2);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(uint hash, float value)
        {
            var index = (int)(hash & (uint)mask);
            var tableMask = keys.Length - 1;
            var h = (int)((uint)index * 0x9E3779B1u >> 7) & tableMask;
            while (true)
            {
                var k = keys[h];
                if (k == 0)
                {
                    break;
                }

                if (k == index + 1)
                {
                    CollectionsMarshal.AsSpan(values)[slots[h]] += value;
                    return;
                }

                h = (h + 1) & tableMask;
            }

            keys[h] = index + 1;
            slots[h] = indices.Count;
            indices.Add(index);
            values.Add(value);
            if (indices.Count * 2 > keys.Length)
            {
                Grow();
            }
        }

        // Clears only the slots this text used, so the table costs nothing per text beyond its own features.
        public void End()
        {
            var tableMask = keys.Length - 1;
            foreach (var index in CollectionsMarshal.AsSpan(indices))
            {
                var h = (int)((uint)index * 0x9E3779B1u >> 7) & tableMask;
                while (keys[h] != 0)
                {
                    keys[h] = 0;
                    h = (h + 1) & tableMask;
                }
            }
        }

        private void Grow()
        {
            keys = new int[keys.Length * 2];
            slots = new int[slots.Length * 2];
            var tableMask = keys.Length - 1;
            var idx = CollectionsMarshal.AsSpan(indices);
            for (var i = 0; i < idx.Length; i++)
            {
                var h = (int)((uint)idx[i] * 0x9E3779B1u >> 7) & tableMask;
                while (keys[h] != 0)
                {
                    h = (h + 1) & tableMask;
                }

                keys[h] = idx[i] + 1;
                slots[h] = i;
            }
        }
    }
}
