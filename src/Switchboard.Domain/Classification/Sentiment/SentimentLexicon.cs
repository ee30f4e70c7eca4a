using Switchboard.Classification.Text;

namespace Switchboard.Classification.Sentiment;

// The project's own sentiment word lists, written by hand for short customer-facing social posts (English).
// Valences run from -4 (strongly negative) to +4. Multi-word entries use '_' for the space and are matched as
// bigrams. Words that are only strong in one trade are left out on purpose: the lists must hold on any brand's
// mentions, not only airlines'. Service-failure vocabulary (waiting, on hold, cancelled, refund) is included
// because complaints about service are what a social team reads all day, in every trade; so is the vocabulary of
// safety and legal complaints (dangerous, overheating, caught fire, sued), the posts a crisis path starts from.
// "fire", "recall" and "lawyer" are left out: "on fire" is praise, and a journalist asking about a recall is
// not negative by itself.
internal static class SentimentLexicon
{
    private static readonly (float Valence, string Words)[] Lists =
    [
        (4.0f, """
            amazing awesome fantastic excellent outstanding superb wonderful perfect brilliant incredible phenomenal
            exceptional marvelous marvellous flawless thrilled ecstatic delighted spectacular magnificent superior
            love loved loves lovin loving adore adored adores best greatest legendary impeccable
            """),
        (3.0f, """
            great happy glad thankyou tnx ty appreciate appreciated appreciates appreciation
            impressed impressive beautiful lovely enjoy enjoyed enjoying enjoys excited exciting fun kudos congrats
            congratulations helpful friendly pleasant recommend recommended favorite favourite fav stellar terrific
            fabulous gorgeous grateful thankful blessed yay woohoo hooray awsome amazin rock rocks rocked
            nicest greatness exceeded heroes hero champion champions pleasure joy joyful cheers bravo
            well_done good_job great_job nice_job shout_out shoutout thank_you much_appreciated
            """),
        (2.0f, """
            thanks thank thx thnx whoot woot classy looking_forward look_forward acceptable
            good nice cool pleased satisfied quick quickly fast easy easier comfortable comfy clean efficient
            polite courteous professional reliable worth win won winning improved improvement solved
            resolved sweet welcome kind kindly generous caring attentive gracious accommodating prompt lucky
            enjoyable fresh tasty delicious yummy cute funny proud relaxed relieved relief smooth smoothly
            wonderfully beautifully happily helped helping nicely safe safely upgrade upgraded success successful
            fantastically easiest fastest glad_to smile smiles smiling laugh laughing hug hugs luv lov excite
            worked works_great on_time no_problem no_worries no_issues problem_solved care_of
            haha hahaha lmao rofl xd hehe yess yesss
            """),
        (1.0f, """
            better lol yes wow obsessed
            ok okay fine decent alright sure liked likes interesting hope hoping hopefully fair reasonable
            ready agree agreed safe useful valuable clear correct true okey fixed
            """),

        (-1.0f, """
            hours why even trying asap need_help unable expire compensate compensated excuse kidding
            wait waiting waited late refund compensation again nobody nothing confused unclear unsure doubt
            issue issues problem problems complaint complain complaining complained concern concerned
            sorry unfortunately hmm meh cost expensive pricey charged charge fee fees bother bothered tired
            holding cancel busy
            """),
        (-2.0f, """
            missing refuse refused refusing bummer shocked screw screwing lazy incorrect wasting insufficient misplaced
            expired excuses impossible rats robotic unresponsive disconnected cut_off
            delayed delay delays delaying cancelled canceled cancelling canceling cancellation stuck stranded
            missed miss lost lose losing wrong error errors mistake mistakes slow slowly difficult hard sick worried
            worry worse lack lacking fault faulty damaged damage dirty uncomfortable cramped mess messed
            hung_up hang_up on_hold no_one no_answer no_response no_reply no_help no_way not_even
            cold hungry boring bored fail_to failed_to wasted waste inconvenience inconvenient downgrade
            downgraded overbooked overcharged hassle confusion ignore ignored ignoring unanswered delayed_again
            sad unhappy disappoint fml grr grrr argh ugh smh wtf dissatisfied poor
            overheating overheated overheats burned burnt leaked leaking hazard scary scared
            """),
        (-3.0f, """
            jerk jerks absurd aggravating aggravated disaster chaos bs
            bad angry upset disappointed disappointing disappointment frustrated frustrating frustration annoyed
            annoying annoys rude ridiculous sucks suck sucked sucky shame shameful poorly fail failed fails failing
            failure broken lie lied lies liar lying miserable stupid idiot idiots idiotic dumb crap crappy shit
            shitty damn dammit ruined ruin ripoff scammed useless incompetent incompetence unhelpful unprofessional
            disrespectful nasty ugly garbage trash hopeless helpless pissed screwed insult insulting unreliable
            ridiculously terribly horribly awfully joke lousy mad furious angrier hated painful pain ashamed
            fed_up let_down ripped_off messed_up screwed_up never_again waste_of still_waiting no_longer
            broke worthless careless clueless neglect neglected mislead misleading misled stole stolen
            dangerous unsafe hazardous injured injury injuries exploded explode explodes hacked sue suing sued
            lawsuit caught_fire burst_into
            """),
        (-4.0f, """
            bullshit
            worst horrible terrible awful disgusting disgusted pathetic atrocious appalling appalled nightmare
            hate hates hating outraged outrageous livid unacceptable disgraceful disgrace abysmal scam fraud
            fraudulent horrendous dreadful despicable inexcusable deplorable infuriating infuriated
            """),

        // Emoticons and emoji. Emoticons keep their case (":D" is not ":d").
        (3.0f, """
            :) :-) :] =) :D :-D ;) ;-) ;D =D <3 ^_^ ^^ :') :'-) :P :-P :p ;p :*
            😀 😃 😄 😁 😆 😊 🙂 😍 🥰 😘 😂 🤣 ❤ 💕 💖 💗 💙 💚 💛 💜 🧡 💯 👍 👏 🙌 🎉 🎊 ✨ 😎 🤩 😋 😻 🥳 ☺ ✔ ✅ ⭐ 🌟 💪 🙏 😇 ♥
            """),
        (-3.0f, """
            :( :-( :[ =( :'( :'-( >:( >:-( :/ :-/ :\ :@ </3
            😞 😔 😟 😕 🙁 ☹ 😣 😖 😫 😩 😢 😭 😤 😠 😡 🤬 👎 💩 🤮 🤢 😒 🙄 😑 😬 😱 😨 😰 😪 😓 💔 ❌ 🤦 😾 😿
            """),
        (0.0f, "😐 😶 🤔 :| :-| :o :O :-o :-O"),
    ];

    // Words that flip the valence of what follows within the same clause ("not happy", "never helpful").
    public static readonly Lexicon<bool> Negators = new(Lexicon<bool>.Words("""
        not no never none nobody nothing neither nor nowhere cannot cant can't dont don't doesnt doesn't didnt
        didn't isnt isn't wasnt wasn't arent aren't werent weren't wont won't wouldnt wouldn't shouldnt shouldn't
        couldnt couldn't havent haven't hasnt hasn't hadnt hadn't without aint ain't nope lacks lacked
        """).Select(w => KeyValuePair.Create(w, true)));

    // Degree words: a multiplier for the next sentiment word (boosters above 1, downtoners below).
    public static readonly Lexicon<float> Degree = new(
        Lexicon<float>.Words("""
            very really so too extremely totally absolutely completely incredibly super truly highly
            seriously utterly especially exceptionally remarkably entirely fully thoroughly most more
            insanely ridiculously freaking fucking fking effing damn bloody hugely deeply
            such
            """).Select(w => KeyValuePair.Create(w, 1.35f))
        .Concat(Lexicon<float>.Words("""
            slightly somewhat barely hardly kinda kindof sorta little bit fairly rather partly marginally
            almost mildly quite pretty
            """).Select(w => KeyValuePair.Create(w, 0.7f))));

    // Contrast words: what follows outweighs what came before ("nice crew but the flight was late").
    public static readonly Lexicon<bool> Contrast = new(
        Lexicon<bool>.Words("but however although though yet nevertheless").Select(w => KeyValuePair.Create(w, true)));

    public static readonly Lexicon<float> Valences = new(
        Lists.SelectMany(l => Lexicon<float>.Words(l.Words).Select(w => KeyValuePair.Create(w, l.Valence))));
}
