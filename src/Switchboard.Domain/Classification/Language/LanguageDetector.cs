using Switchboard.Classification.Text;

namespace Switchboard.Classification.Language;

internal sealed record LanguageResult(string Code, double Score, string Evidence);

// Language identification for short social texts from the project's own profiles: the most frequent function
// words of each language (shared words split their weight between the languages that use them), distinctive
// word endings, and letters that only some of these languages write. Hashtags, mentions, URLs, numbers and
// emoji are not words of any language and are skipped. Says "und" when the evidence is thin or split.
internal static class LanguageDetector
{
    // Order matters: it is the bit index in the language masks below.
    public static readonly string[] Codes = ["en", "es", "fr", "de", "pt", "it", "nl"];
    private const int En = 1, Es = 2, Fr = 4, De = 8, Pt = 16, It = 32, Nl = 64;

    private static readonly (int Mask, string Words)[] StopwordLists =
    [
        (En, """
            the and is are was were to of in it you i my me this that for with on have has be at your we they what
            why how can do does did just so but from will would an our please thanks thank get got no any been about
            there when still all if or not don't can't i'm it's you're im dont cant its been than then them their
            he she his her who which could should very really out up one now today after before again here
            i've i'll i'd we're we've we'd you've you'll they're isn't wasn't won't didn't doesn't like love good
            great new time day thanks need want know think going help service would every never
            """),
        (Es, """
            el los las del que y es por para con una lo mi muy pero más mas como está esta estoy gracias hola qué
            su sus ya también porque nos le hay son ser esto este bien todo sin cuando dónde donde usted ustedes
            tengo tiene pueden puedo hacer vuelo nada eso esa fue hoy ahora siempre nunca algo
            """),
        (Fr, """
            le les des du et est une pour pas je vous nous il elle ce cette avec sur dans mais ne au aux merci
            bonjour très tout c'est j'ai suis sont mon mes votre vos plus été avez fait ça où même ai peut
            quand aussi encore rien bien toujours jamais aujourd'hui n'est qu'il
            """),
        (De, """
            der die das und ist nicht ich ein eine zu mit sie es auf für den dem von wir sind bitte danke auch aber
            noch wie was mein meine ihr ihre haben hat kein keine nur schon sehr bei aus im dass oder wenn warum
            heute hallo mir mich dich euch wird wurde kann können ja nein immer nichts gibt
            """),
        (Pt, """
            os do da dos das não em um uma com meu minha você vocês está estou obrigado obrigada olá muito
            no na nos nas ao mas isso esse essa foi tem são já também pelo pela quando onde porque ele ela eu
            seu sua nada hoje agora sempre nunca aqui fazer pode até
            """),
        (It, """
            il gli di della che è non per sono ho ha mi ti ci ma più molto grazie ciao questo questa anche come
            perché nel nella al alla dei delle sul io tu noi voi loro cosa quando dove tutto sempre mai oggi
            buongiorno è stato sei siamo hanno fare può ancora niente
            """),
        (Nl, """
            het een van niet ik je jij u wij zijn op te dat voor met maar ook nog naar dan om er wat hoe waarom bij
            mijn uw jullie geen heb heeft hebben dit deze wordt worden bedankt dank hallo goed graag alsjeblieft
            omdat hij zij ze wel kan kunnen al nu vandaag altijd nooit niets mij
            """),
        // Words written identically in several of these languages.
        (Es | Fr | Pt | It | Nl, "de"),
        (Es | Fr | It, "la"),
        (Es | Pt, "se"),
        (Es | Fr | Pt | It, "que"),
        (Es | Pt | It, "a"),
        (En | De | It | Nl, "in"),
        (Es | Pt | It | Nl, "en"),
        (Pt | It, "e o"),
        (Es | It | Pt, "un"),
        (Fr | Es | It, "si"),
        (Fr | Pt, "ou"),
        (De | Nl, "was"),
        (Es | Pt | It | Fr, "me"),
        (Es | Fr, "tu"),
    ];

    // Word endings typical of one language, written by us; checked on words of five letters or more.
    private static readonly (int Mask, string Suffixes)[] SuffixLists =
    [
        (En, "ing tion ly ness ful ed ight ould"),
        (Es, "ción ciones mente ado ada ido ida dad idad amos emos aron ería"),
        (Fr, "ment tion eux euse ique ais ait aient ées ée é eur eurs oir"),
        (De, "ung ungen lich keit heit chen isch ig ten schaft"),
        (Pt, "ção ções mente ado ada inho inha agem ões ão"),
        (It, "zione zioni mente ato ata etto etta ità ssimo issimo are ere ire"),
        (Nl, "heid lijk tje je ing en ijk aan oor"),
    ];

    // A word listed for several languages belongs to all of them (masks are OR-ed, not overwritten).
    internal static readonly Lexicon<int> Stopwords = new(StopwordLists
        .SelectMany(l => Lexicon<int>.Words(l.Words).Select(w => (Word: w, l.Mask)))
        .GroupBy(p => p.Word, StringComparer.Ordinal)
        .Select(g => KeyValuePair.Create(g.Key, g.Aggregate(0, (m, p) => m | p.Mask))));

    // Suffix -> languages; looked up by the word's last 6..2 characters, longest first (a few hash look-ups per
    // word instead of a scan over every suffix).
    private static readonly Lexicon<int> Suffixes = new(SuffixLists
        .SelectMany(l => l.Suffixes.Split(' ').Select(s => (Suffix: s, l.Mask)))
        .GroupBy(p => p.Suffix, StringComparer.Ordinal)
        .Select(g => KeyValuePair.Create(g.Key, g.Aggregate(0, (m, p) => m | p.Mask))));

    // Last letters of any suffix: most words can be ruled out with one array read instead of several look-ups.
    private static readonly bool[] SuffixFinal = BuildSuffixFinal();

    private static bool[] BuildSuffixFinal()
    {
        var final = new bool[128];
        foreach (var s in SuffixLists.SelectMany(l => l.Suffixes.Split(' ')))
        {
            if (s[^1] < 128)
            {
                final[s[^1]] = true;
            }
        }

        return final;
    }

    private static readonly int LongestSuffix = SuffixLists.SelectMany(l => l.Suffixes.Split(' ')).Max(s => s.Length);

    public static LanguageResult Detect(TokenBuffer tokens)
    {
        WordTable.Annotate(tokens);
        Span<float> score = stackalloc float[7];
        Span<int> hits = stackalloc int[7];
        var words = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            ref var t = ref tokens.Items[i];
            if (t.Kind != TokenKind.Word)
            {
                continue;
            }

            var word = tokens.Text(t);
            words++;
            var mask = t.Uni?.LanguageMask ?? 0;
            if (mask != 0)
            {
                Add(score, hits, mask, 1f);
            }

            var last = word[^1];
            if (mask == 0 && word.Length >= 5 && (last >= 128 || SuffixFinal[last]))
            {
                for (var len = Math.Min(LongestSuffix, word.Length - 2); len >= 2; len--)
                {
                    if (Suffixes.TryGet(word[^len..], out var m))
                    {
                        Add(score, hits, m, 0.4f);
                        break;
                    }
                }
            }

            foreach (var ch in word)
            {
                if (ch < '\u00C0')
                {
                    continue;
                }

                var letterMask = ch switch
                {
                    'ñ' or '¿' or '¡' => Es,
                    'ã' or 'õ' => Pt,
                    'ç' => Pt | Fr,
                    'ß' => De,
                    'ä' or 'ö' or 'ü' => De,
                    'œ' or 'û' or 'ë' or 'ï' or 'î' => Fr,
                    'è' or 'ê' or 'â' => Fr | Pt | It,
                    'ò' or 'ì' => It,
                    'à' or 'ù' => Fr | It,
                    'é' => Fr | Es | Pt,
                    'á' or 'í' or 'ó' or 'ú' => Es | Pt,
                    _ => 0,
                };
                if (letterMask != 0)
                {
                    Add(score, hits, letterMask, 0.5f);
                }
            }
        }

        var best = 0;
        var second = -1;
        for (var l = 1; l < 7; l++)
        {
            if (score[l] > score[best])
            {
                second = best;
                best = l;
            }
            else if (second < 0 || score[l] > score[second])
            {
                second = l;
            }
        }

        var total = 0f;
        foreach (var v in score)
        {
            total += v;
        }

        // Thin evidence (no function word at all) or a tie between two languages: do not guess.
        var margin = score[best] - (second >= 0 ? score[second] : 0);
        if (score[best] < 1f || margin < 0.5f || (words >= 10 && score[best] < 1.5f))
        {
            return new LanguageResult("und", Math.Round(total == 0 ? 0 : score[best] / total, 3),
                words == 0 ? "no words (only mentions, hashtags, links or symbols)" : string.Concat("weak evidence (", Num.F1(score[best]), ")"));
        }

        var confidence = score[best] / total;
        return new LanguageResult(Codes[best], Math.Round(confidence, 3),
            string.Concat(hits[best].ToString(System.Globalization.CultureInfo.InvariantCulture), " function words/endings/letters of ", Codes[best],
                "; margin ", Num.F1(margin), " over ", Codes[second]));
    }

    private static void Add(Span<float> score, Span<int> hits, int mask, float weight)
    {
        var n = int.PopCount(mask);
        var w = weight / n;
        for (var l = 0; l < 7; l++)
        {
            if ((mask & (1 << l)) != 0)
            {
                score[l] += w;
                hits[l]++;
            }
        }
    }
}
