using Switchboard.Posts;

namespace Switchboard.Classification.Scoring;

// The workspace's lists of people who matter. Entries are author ids or handles, compared case-insensitively,
// with or without a leading '@'.
internal sealed class AudienceLists
{
    public static AudienceLists Empty { get; } = new([], [], [], []);

    private readonly HashSet<string> vips;
    private readonly HashSet<string> journalists;
    private readonly HashSet<string> regulators;
    private readonly HashSet<string> employees;

    public AudienceLists(IEnumerable<string> vips, IEnumerable<string> journalists, IEnumerable<string> regulators,
        IEnumerable<string> employees)
    {
        this.vips = Normalise(vips);
        this.journalists = Normalise(journalists);
        this.regulators = Normalise(regulators);
        this.employees = Normalise(employees);
    }

    public bool IsVip(Author? a) => Contains(vips, a);

    public bool IsJournalist(Author? a) => Contains(journalists, a);

    public bool IsRegulator(Author? a) => Contains(regulators, a);

    public bool IsEmployee(Author? a) => Contains(employees, a);

    private static HashSet<string> Normalise(IEnumerable<string> items) =>
        new(items.Select(s => s.Trim().TrimStart('@')).Where(s => s.Length > 0), StringComparer.OrdinalIgnoreCase);

    private static bool Contains(HashSet<string> set, Author? a) =>
        a is not null && set.Count > 0
        && ((a.Id is not null && set.Contains(a.Id)) || (a.Handle is not null && set.Contains(a.Handle.TrimStart('@'))));
}

// influence = max(followerWeight · min(1, log10(1 + followers) / log10(1 + FollowersForFull))
//                 + VerifiedWeight · verified,
//                 the floor of every workspace list the author is on)
// so 1M followers with the defaults give 0.6, a verified account adds 0.25, and a journalist is never below 0.8.
internal sealed record InfluenceOptions
{
    public double FollowerWeight { get; init; } = 0.6;
    public long FollowersForFull { get; init; } = 1_000_000;
    public double VerifiedWeight { get; init; } = 0.25;
    public double VipFloor { get; init; } = 0.9;
    public double JournalistFloor { get; init; } = 0.8;
    public double RegulatorFloor { get; init; } = 0.95;
    public double EmployeeFloor { get; init; } = 0.3;

    public static InfluenceOptions Default { get; } = new();
}

internal sealed record InfluenceResult(double Score, string Evidence);

internal static class Influence
{
    public static InfluenceResult Compute(Author? author, AudienceLists lists, InfluenceOptions o)
    {
        if (author is null)
        {
            return new InfluenceResult(0, "no author");
        }

        var followers = Math.Max(0, author.Followers ?? 0);
        var followerPart = o.FollowersForFull <= 0 ? 0
            // In double arithmetic: 1 + long.MaxValue followers wrapped to a negative long, whose log is NaN, and SQLite
            // refuses to store NaN (a signed generic webhook with that count answered 503).
            : Math.Min(1, Math.Log10(1.0 + followers) / Math.Log10(1.0 + o.FollowersForFull));
        var score = (o.FollowerWeight * followerPart) + (author.Verified == true ? o.VerifiedWeight : 0);
        var why = string.Concat(followers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            author.Verified == true ? " followers, verified" : " followers");
        if (lists.IsRegulator(author) && o.RegulatorFloor > score)
        {
            (score, why) = (o.RegulatorFloor, "regulator list");
        }

        if (lists.IsVip(author) && o.VipFloor > score)
        {
            (score, why) = (o.VipFloor, "VIP list");
        }

        if (lists.IsJournalist(author) && o.JournalistFloor > score)
        {
            (score, why) = (o.JournalistFloor, "journalist list");
        }

        if (lists.IsEmployee(author) && o.EmployeeFloor > score)
        {
            (score, why) = (o.EmployeeFloor, "employee list");
        }

        return new InfluenceResult(Math.Round(Math.Clamp(score, 0, 1), 3), why);
    }
}
