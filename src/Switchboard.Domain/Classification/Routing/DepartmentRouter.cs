using Switchboard.Classification.Intent;
using Switchboard.Classification.Text;

namespace Switchboard.Classification.Routing;

internal enum Department
{
    None,
    Marketing,
    PublicRelations,
    InternalCommunications,
    PartnersAndChannel,
    CustomerService,
    HumanResources,
    It,
    Innovation,
}

internal static class DepartmentNames
{
    public static string Display(this Department d) => d switch
    {
        Department.None => "none",
        Department.Marketing => "Marketing",
        Department.PublicRelations => "Public Relations",
        Department.InternalCommunications => "Internal Communications",
        Department.PartnersAndChannel => "Partners & Channel",
        Department.CustomerService => "Customer Service",
        Department.HumanResources => "Human Resources",
        Department.It => "IT",
        Department.Innovation => "Innovation",
        _ => throw new ArgumentOutOfRangeException(nameof(d)),
    };
}

internal sealed record DepartmentResult(Department Department, double Score, string Evidence);

// Which of the eight functions owns the post. The intent gives a strong prior (an HR matter goes to Human
// Resources, a crisis to PR or IT by its kind); topic words then move it (a login problem is IT's, a campaign
// question Marketing's); internal channels and employee authors go to Internal Communications.
internal static class DepartmentRouter
{
    private static readonly (Department Department, string Words)[] TopicLists =
    [
        (Department.It, """
            password login log_in sign_in signin 2fa outage down_for server servers bug bugs error api website app
            crash crashes crashed crashing loading timeout 404 500 sso vpn laptop wifi browser update_broke
            security hacked phishing malware
            """),
        (Department.Marketing, """
            campaign campaigns ad ads advert advertising commercial promo promotion contest giveaway newsletter
            brand branding influencer influencers sponsored merch merchandise launch event webinar coupon
            """),
        (Department.PublicRelations, """
            journalist reporter press media statement interview_request spokesperson article story headline
            boycott scandal controversy
            """),
        (Department.InternalCommunications, """
            all-hands allhands town_hall townhall intranet memo announcement colleagues team_meeting staff_meeting
            internal_update company_update
            """),
        (Department.Innovation, """
            idea ideas feature_request roadmap prototype beta innovation innovative experiment pilot_program
            """),
        (Department.PartnersAndChannel, """
            reseller resellers distributor distributors wholesale affiliate partner_program channel_partner
            """),
        (Department.HumanResources, """
            job jobs hiring career careers interview internship salary payroll benefits recruiter harassment
            """),
    ];

    internal static readonly Lexicon<Department> Topics = new(TopicLists.SelectMany(l =>
        Lexicon<Department>.Words(l.Words).Select(w => KeyValuePair.Create(w, l.Department))));

    public static DepartmentResult Route(TokenBuffer b, IntentResult intent, bool internalSource)
    {
        WordTable.Annotate(b);
        Span<float> score = stackalloc float[9];
        var cue = Department.None;
        var cueWord = -1;
        for (var i = 0; i < b.Count; i++)
        {
            ref var t = ref b.Items[i];
            if (!t.IsWordLike)
            {
                continue;
            }

            if (t.Bi is { Topic: not Department.None and var d2 })
            {
                score[(int)d2] += 1f;
                (cue, cueWord) = (d2, i);
            }
            else if (t.Uni is { Topic: not Department.None and var d })
            {
                score[(int)d] += 1f;
                if (cueWord < 0 || score[(int)d] > score[(int)cue])
                {
                    (cue, cueWord) = (d, i);
                }
            }
        }

        var (prior, priorWeight) = intent.Label switch
        {
            IntentLabel.Crisis => (intent.Crisis == CrisisKind.DataBreach ? Department.It : Department.PublicRelations, 3f),
            IntentLabel.Hr => (Department.HumanResources, 2.5f),
            IntentLabel.Partnership => (Department.PartnersAndChannel, 2.5f),
            IntentLabel.Feedback => (Department.Innovation, 1.5f),
            IntentLabel.PurchaseIntent => (Department.Marketing, 1.5f),
            IntentLabel.Complaint or IntentLabel.Question => (Department.CustomerService, 1.2f),
            IntentLabel.Praise => (Department.CustomerService, 1f),
            IntentLabel.Spam => (Department.None, 5f),
            _ => (Department.None, 0f),
        };

        if (intent.Label == IntentLabel.Spam)
        {
            return new DepartmentResult(Department.None, 0.9, "spam is not routed");
        }

        score[(int)prior] += priorWeight;
        if (internalSource)
        {
            score[(int)Department.InternalCommunications] += 2f;
        }

        var best = Department.None;
        var total = 0f;
        for (var k = 1; k < score.Length; k++)
        {
            total += score[k];
            if (score[k] > score[(int)best])
            {
                best = (Department)k;
            }
        }

        if (best == Department.None || score[(int)best] < 1f)
        {
            return new DepartmentResult(Department.None, 0.5, "no owning function recognised");
        }

        string evidence;
        if (best == cue && cueWord >= 0)
        {
            evidence = string.Concat("topic word '", b.Text(cueWord), "'");
        }
        else if (best == Department.InternalCommunications && internalSource)
        {
            evidence = "internal channel or employee author";
        }
        else
        {
            evidence = "intent " + intent.Label.ToSnakeCase();
        }

        return new DepartmentResult(best, Math.Round(score[(int)best] / total, 3), evidence);
    }
}
