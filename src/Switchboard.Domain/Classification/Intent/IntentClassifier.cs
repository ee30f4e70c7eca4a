using Switchboard.Classification.Sentiment;
using Switchboard.Classification.Text;

namespace Switchboard.Classification.Intent;

internal enum IntentLabel
{
    Other,
    Complaint,
    Question,
    Praise,
    PurchaseIntent,
    Crisis,
    Feedback,
    Hr,
    Partnership,
    Spam,
}

// What kind of crisis the crisis words point to; it decides the owning department (press -> PR, breach -> IT).
internal enum CrisisKind
{
    None,
    Safety,
    Legal,
    Press,
    DataBreach,
    Violence,
}

internal sealed record IntentResult(IntentLabel Label, double Score, CrisisKind Crisis, int CrisisHits, string Evidence);

// Rule-based intent: cue words and phrases (written by us, English plus a few common Spanish/French/German/
// Portuguese/Italian/Dutch cues) vote for intents, the sentiment and punctuation add structural evidence, and
// crisis cues outrank everything because a missed crisis costs far more than a false alarm.
internal static class IntentClassifier
{
    private static readonly (IntentLabel Intent, float Weight, string Words)[] CueLists =
    [
        (IntentLabel.Complaint, 1.5f, """
            refund refunds complaint complain complaining broken worst terrible horrible awful unacceptable
            disappointed disappointing delayed cancelled canceled lost missing damaged rude waiting still_waiting
            on_hold never_again overcharged charged_twice not_working doesn't_work didn't_work stopped_working
            ridiculous useless scam fix_this poor_service bad_service customer_service reclamación queja
            plainte remboursement beschwerde reklamation rückerstattung reclamação reclamo klacht
            """),
        (IntentLabel.Question, 1.0f, """
            how what when where which who why can_i could_you can_you is_there are_there do_you does_anyone
            anyone_know any_idea wondering question help_me cómo qué cuándo dónde comment pourquoi quand
            wie warum wann wo como quando onde come quando dove hoe waarom wanneer waar
            """),
        (IntentLabel.Praise, 1.5f, """
            thanks thank thank_you love loved amazing awesome great_job well_done kudos shout_out shoutout best
            excellent fantastic wonderful appreciate appreciated impressed gracias merci danke obrigado obrigada
            grazie bedankt
            """),
        (IntentLabel.PurchaseIntent, 2.0f, """
            buy purchase pricing price prices quote how_much cost costs order ordering subscribe subscription
            demo trial discount available_in in_stock where_can interested_in sign_up signup upgrade_to plans
            license licence enterprise_plan sales_team want_to_buy looking_to_buy comprar precio acheter prix
            kaufen preis comprar preço comprare prezzo kopen prijs
            """),
        (IntentLabel.Feedback, 1.5f, """
            suggest suggestion suggestions idea ideas feature_request feature would_be_nice should_add please_add
            feedback wish improve improvement consider_adding it_would_be you_should dark_mode roadmap sugerencia
            suggestion vorschlag sugestão suggerimento suggestie
            """),
        (IntentLabel.Hr, 2.5f, """
            job jobs hiring career careers resume cv interview internship intern vacancy vacancies position
            apply applied application salary payroll recruiter recruiting employment employee_benefits
            harassment discrimination hr onboarding empleo trabajo emploi stelle bewerbung vaga lavoro vacature
            """),
        (IntentLabel.Partnership, 2.5f, """
            partner partnership partnerships reseller resellers distributor distributors distribution
            collaboration collab collaborate affiliate wholesale sponsor sponsorship integration_partner
            co-marketing white_label whitelabel alliance socio partenariat partnerschaft parceria partnership
            """),
        (IntentLabel.Spam, 3.0f, """
            click_here free_followers followers_free crypto bitcoin forex giveaway_winner dm_me earn_money
            make_money work_from_home casino viagra loan_offer cheap_followers promo_code check_my
            """),
    ];

    private static readonly (CrisisKind Kind, string Words)[] CrisisLists =
    [
        (CrisisKind.Safety, """
            injured injury injuries hurt_me hospital ambulance fire smoke explosion exploded poisoning poisoned
            food_poisoning unsafe dangerous hazard recall recalled emergency accident choking
            allergic allergy died death dying overdose burned burnt electrocuted collapsed
            """),
        (CrisisKind.Legal, """
            lawsuit sue suing sued lawyer lawyers attorney legal_action class_action regulator regulators
            ombudsman fraud demanda abogado avocat procès anwalt klage advogado processo avvocato advocaat
            """),
        (CrisisKind.Press, """
            journalist reporter press_inquiry media_inquiry for_a_story comment_for on_record deadline_for
            newsroom editor investigating_a journaliste periodista journalistin jornalista giornalista journalist
            """),
        (CrisisKind.DataBreach, """
            breach data_breach hacked leak leaked leaking exposed_data phishing ransomware stolen_data
            compromised password_leak my_data privacy_violation gdpr identity_theft
            """),
        (CrisisKind.Violence, """
            kill killing shooting bomb gun weapon threat threaten threatening attack stab hurt_you
            violence violent suicide kill_myself
            """),
    ];

    internal static readonly Lexicon<(IntentLabel, float)> Cues = new(CueLists.SelectMany(l =>
        Lexicon<(IntentLabel, float)>.Words(l.Words).Select(w => KeyValuePair.Create(w, (l.Intent, l.Weight)))));

    internal static readonly Lexicon<CrisisKind> CrisisCues = new(CrisisLists.SelectMany(l =>
        Lexicon<CrisisKind>.Words(l.Words).Select(w => KeyValuePair.Create(w, l.Kind))));

    internal static readonly Lexicon<bool> QuestionOpeners = new(Lexicon<bool>.Words("""
        how what when where which who why can could would is are do does did will should may any
        """).Select(w => KeyValuePair.Create(w, true)));

    public static IntentResult Classify(TokenBuffer b, SentimentResult sentiment)
    {
        WordTable.Annotate(b);
        Span<float> score = stackalloc float[10];
        Span<int> cueAt = stackalloc int[10];
        cueAt.Fill(-1);
        Span<int> crisisByKind = stackalloc int[6];
        Span<int> crisisPos = stackalloc int[6];
        Span<bool> cueIsBigram = stackalloc bool[10];
        var crisisHits = 0;
        var firstWord = -1;
        var questions = 0;

        for (var i = 0; i < b.Count; i++)
        {
            ref var t = ref b.Items[i];
            if (t.Kind == TokenKind.Question)
            {
                questions++;
                continue;
            }

            if (!t.IsWordLike)
            {
                continue;
            }

            if (firstWord < 0 && t.Kind == TokenKind.Word)
            {
                firstWord = i;
            }

            var ck = t.Bi is { Crisis: not CrisisKind.None } bi ? bi.Crisis : t.Uni?.Crisis ?? CrisisKind.None;
            if (ck != CrisisKind.None)
            {
                if (crisisByKind[(int)ck]++ == 0)
                {
                    crisisPos[(int)ck] = i;
                }

                crisisHits++;
            }

            var bigramCue = t.Bi is { Cue: not IntentLabel.Other };
            var cue = bigramCue ? t.Bi : t.Uni is { Cue: not IntentLabel.Other } uc ? uc : null;
            if (cue is not null)
            {
                score[(int)cue.Cue] += cue.CueWeight;
                cueAt[(int)cue.Cue] = i;
                cueIsBigram[(int)cue.Cue] = bigramCue;
            }
        }

        // Structure: a question mark or an interrogative first word; the sentiment tips complaint vs praise.
        if (questions > 0)
        {
            score[(int)IntentLabel.Question] += 1.5f;
        }

        if (firstWord >= 0 && b.Items[firstWord].Uni is { QuestionOpener: true })
        {
            score[(int)IntentLabel.Question] += 0.5f;
        }

        if (sentiment.Label == SentimentLabel.Negative)
        {
            score[(int)IntentLabel.Complaint] += 1f + (float)(-sentiment.Score * 2);
            score[(int)IntentLabel.Praise] *= 0.3f;
        }
        else if (sentiment.Label == SentimentLabel.Positive)
        {
            score[(int)IntentLabel.Praise] += 1f + (float)(sentiment.Score * 1.5);
            score[(int)IntentLabel.Complaint] *= 0.5f;
        }

        // Link-heavy posts pushing a link at many accounts are the classic spam shape.
        if (b.Urls >= 2 || (b.Urls >= 1 && b.Mentions >= 4))
        {
            score[(int)IntentLabel.Spam] += 2f;
        }

        if (b.Hashtags >= 6)
        {
            score[(int)IntentLabel.Spam] += 1.5f;
        }

        if (crisisHits > 0)
        {
            var kind = CrisisKind.Safety;
            for (var k = 1; k < crisisByKind.Length; k++)
            {
                if (crisisByKind[k] > crisisByKind[(int)kind])
                {
                    kind = (CrisisKind)k;
                }
            }

            var crisisScore = Math.Min(1.0, 0.6 + (0.2 * crisisHits));
            var crisisAt = crisisPos[(int)kind];
            var crisisText = b.Items[crisisAt].Bi is { Crisis: not CrisisKind.None } ? b.Span(crisisAt, crisisAt + 1) : b.Text(crisisAt);
            return new IntentResult(IntentLabel.Crisis, crisisScore, kind, crisisHits,
                string.Concat("crisis cue '", crisisText.ToString(), "' (", CrisisName(kind), "); ",
                    crisisHits.ToString(System.Globalization.CultureInfo.InvariantCulture), " crisis cue(s)"));
        }

        var best = IntentLabel.Other;
        var bestScore = 0f;
        var total = 0f;
        for (var k = 1; k < score.Length; k++)
        {
            total += score[k];
            if (score[k] > bestScore)
            {
                bestScore = score[k];
                best = (IntentLabel)k;
            }
        }

        // Below one cue's worth of evidence the post is small talk or unrelated: "other".
        if (bestScore < 1.4f)
        {
            return new IntentResult(IntentLabel.Other, Math.Round(1 - (bestScore / 1.4f), 3), CrisisKind.None, 0,
                "no intent cue strong enough");
        }

        var evidence = cueAt[(int)best] >= 0
            ? string.Concat("cue '", cueIsBigram[(int)best] ? b.Span(cueAt[(int)best], cueAt[(int)best] + 1) : b.Text(cueAt[(int)best]), "'")
            : best switch
            {
                IntentLabel.Question => "question mark / interrogative",
                IntentLabel.Complaint => string.Concat("negative sentiment (", Num.F2(sentiment.Score), ")"),
                IntentLabel.Praise => string.Concat("positive sentiment (", Num.F2(sentiment.Score), ")"),
                IntentLabel.Spam => "many links, mentions or hashtags",
                _ => "structure",
            };
        return new IntentResult(best, Math.Round(bestScore / total, 3), CrisisKind.None, 0, evidence);
    }

    public static string CrisisName(CrisisKind kind) => kind switch
    {
        CrisisKind.Safety => "safety",
        CrisisKind.Legal => "legal",
        CrisisKind.Press => "press",
        CrisisKind.DataBreach => "data breach",
        CrisisKind.Violence => "violence",
        _ => "none",
    };
}
