using Switchboard.Classification.Intent;
using Switchboard.Classification.Language;
using Switchboard.Classification.Routing;
using Switchboard.Classification.Sentiment;

namespace Switchboard.Classification.Text;

// Everything the default analysers know about one word or two-word phrase, merged from their separate lists.
internal sealed class WordEntry
{
    public bool HasValence;
    public float Valence;
    public bool Negator;
    public bool Contrast;
    public float Degree = 1f;
    public int LanguageMask;
    public IntentLabel Cue;
    public float CueWeight;
    public CrisisKind Crisis;
    public Department Topic;
    public bool QuestionOpener;
}

// One merged table over all the lexicons, so a post costs one hash look-up per token and one per adjacent pair,
// however many analysers read it. Each analyser's own list stays the source of truth; this is only an index.
internal static class WordTable
{
    private static readonly Lexicon<WordEntry> Unigrams;
    private static readonly Lexicon<WordEntry> Bigrams;

    static WordTable()
    {
        var all = new Dictionary<string, WordEntry>(StringComparer.Ordinal);
        WordEntry E(string k) => all.TryGetValue(k, out var e) ? e : all[k] = new WordEntry();
        foreach (var (k, v) in SentimentLexicon.Valences.Entries)
        {
            var e = E(k);
            e.HasValence = true;
            e.Valence = v;
        }

        foreach (var (k, _) in SentimentLexicon.Negators.Entries)
        {
            E(k).Negator = true;
        }

        foreach (var (k, _) in SentimentLexicon.Contrast.Entries)
        {
            E(k).Contrast = true;
        }

        foreach (var (k, v) in SentimentLexicon.Degree.Entries)
        {
            E(k).Degree = v;
        }

        foreach (var (k, v) in LanguageDetector.Stopwords.Entries)
        {
            E(k).LanguageMask = v;
        }

        foreach (var (k, v) in IntentClassifier.Cues.Entries)
        {
            var e = E(k);
            e.Cue = v.Item1;
            e.CueWeight = v.Item2;
        }

        foreach (var (k, v) in IntentClassifier.CrisisCues.Entries)
        {
            E(k).Crisis = v;
        }

        foreach (var (k, _) in IntentClassifier.QuestionOpeners.Entries)
        {
            E(k).QuestionOpener = true;
        }

        foreach (var (k, v) in DepartmentRouter.Topics.Entries)
        {
            E(k).Topic = v;
        }

        Unigrams = new(all.Where(p => !p.Key.Contains(' ', StringComparison.Ordinal)));
        Bigrams = new(all.Where(p => p.Key.Contains(' ', StringComparison.Ordinal)));
    }

    public static void Annotate(TokenBuffer b)
    {
        if (b.Annotated)
        {
            return;
        }

        var items = b.Items;
        for (var i = 0; i < b.Count; i++)
        {
            ref var t = ref items[i];
            t.Uni = null;
            t.Bi = null;
            if (t.Kind is TokenKind.Word or TokenKind.Hashtag or TokenKind.Emoji or TokenKind.Emoticon)
            {
                t.Uni = Unigrams.TryGet(b.Text(t), out var u) ? u : null;
                if (t.IsWordLike && i + 1 < b.Count && items[i + 1].IsWordLike)
                {
                    t.Bi = Bigrams.TryGet(b.Span(i, i + 1), out var bi) ? bi : null;
                }
            }
        }

        b.Annotated = true;
    }
}
