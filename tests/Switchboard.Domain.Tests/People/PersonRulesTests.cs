using Switchboard.People;
using Xunit;

namespace Switchboard.Tests.People;

public class PersonRulesTests
{
    static readonly IReadOnlySet<string> Teams = new HashSet<string>(["customer-service", "public-relations"]);

    static PersonProfile Valid() => new("Ana Ruiz", "agent", [new("customer-service", false)], ["mastodon"], ["Technical"], ["en"], 4, []);

    [Fact]
    public void A_profile_is_normalised_skills_to_their_standard_spelling_codes_to_lower_case_duplicates_dropped()
    {
        var (p, errors) = PersonRules.Check(Valid() with
        {
            Name = "  Ana Ruiz ",
            Role = "Agent",
            Teams = [new(" Customer-Service ", true)],
            Channels = ["Mastodon", "mastodon", " "],
            Skills = ["technical", "Technical", "French cuisine"],
            Languages = ["EN", "fr", "en"],
            ExpertAreas = ["Legal", "legal"],
        }, Teams);
        Assert.Empty(errors);
        Assert.Equal(new PersonProfile("Ana Ruiz", "agent", [new("customer-service", true)], ["mastodon"], ["Technical", "French cuisine"], ["en", "fr"], 4, ["Legal"]),
            p! with { Teams = [.. p.Teams], Channels = [.. p.Channels], Skills = [.. p.Skills], Languages = [.. p.Languages], ExpertAreas = [.. p.ExpertAreas] },
            new ProfileComparer());
    }

    [Fact]
    public void Every_bad_field_is_named_with_its_index()
    {
        var (p, errors) = PersonRules.Check(new PersonProfile("", "boss", [new("sales", false), new("customer-service", false), new("customer-service", true)],
            ["Slack channel!"], ["a,b"], ["english"], 9999, [new string('x', 61)]), Teams);
        Assert.Null(p);
        Assert.Equal([
            "name: required",
            "role: 'boss' is not one of admin, manager, agent, trainee, approver, analyst",
            "teams[0].team: unknown team 'sales'",
            "teams[2].team: 'customer-service' is listed twice",
            "channels[0]: 'Slack channel!' — lower-case letters, digits, '.', '_' or '-' (at most 40), e.g. mastodon",
            "skills[0]: 'a,b' — at most 40 printable characters, no comma",
            "languages[0]: 'english' — a two-letter ISO 639-1 code, e.g. en",
            $"expert_areas[0]: '{new string('x', 60)}…' — at most 60 printable characters",
            "capacity: between 0 and 500 open conversations (0: never assigned automatically)",
        ], errors);
    }

    [Fact]
    public void Hostile_and_oversized_input_is_refused_without_throwing()
    {
        var many = Enumerable.Range(0, 10_000).Select(i => "c" + i).ToList();
        var (p, errors) = PersonRules.Check(Valid() with
        {
            Name = "Ana\u0000<script>",
            Channels = many,
            Skills = many,
            Languages = many,
            ExpertAreas = many,
            Teams = [.. Enumerable.Repeat(new TeamSeat("customer-service", false), 1000)]
        }, Teams);
        Assert.Null(p);
        Assert.Contains("name: at most 100 printable characters", errors);
        Assert.Contains("teams: at most 20", errors);
        Assert.Contains("channels: at most 20", errors);
        Assert.Contains("skills: at most 30", errors);
        Assert.Contains("languages: at most 20", errors);
        Assert.Contains("expert_areas: at most 10", errors);
        // Null lists and members (a JSON body with nulls) are treated as empty, not as a crash.
        var (q, e2) = PersonRules.Check(new PersonProfile("Bo", "agent", null!, null!, [null!], null!, 0, null!), Teams);
        Assert.Empty(e2);
        Assert.Empty(q!.Teams);
    }

    [Theory]
    [InlineData("admin", false, "agent", "admin", null)]
    [InlineData("admin", true, "admin", "manager", "an admin cannot remove their own admin role; ask another admin")]
    [InlineData("manager", false, "agent", "trainee", null)]
    [InlineData("manager", false, null, "agent", null)]
    [InlineData("manager", false, "agent", "admin", "only an admin can grant the admin role or change an admin")]
    [InlineData("manager", false, "admin", "admin", "only an admin can grant the admin role or change an admin")]
    [InlineData("manager", true, "manager", "agent", "a manager cannot change their own role")]
    [InlineData("manager", true, "manager", "manager", null)]
    [InlineData("agent", false, "agent", "agent", "only admins and managers manage people")]
    [InlineData("analyst", false, null, "agent", "only admins and managers manage people")]
    public void Who_may_change_whom(string editor, bool self, string? current, string next, string? refusal) =>
        Assert.Equal(refusal, PersonRules.MayChange(editor, self, current, next));

    [Theory]
    [InlineData("admin", false, "admin", null)]
    [InlineData("admin", true, "admin", "you cannot deactivate yourself; ask another admin or manager")]
    [InlineData("manager", false, "agent", null)]
    [InlineData("manager", false, "manager", null)]
    [InlineData("manager", true, "manager", "you cannot deactivate yourself; ask another admin or manager")]
    [InlineData("manager", false, "admin", "only an admin can deactivate or reactivate an admin")]
    [InlineData("approver", false, "agent", "only admins and managers manage people")]
    [InlineData("", false, "agent", "only admins and managers manage people")]
    public void Who_may_deactivate_whom(string editor, bool self, string target, string? refusal) =>
        Assert.Equal(refusal, PersonRules.MayDeactivate(editor, self, target));

    static readonly IReadOnlySet<string> Mine = new HashSet<string>(["customer-service", "marketing"]);

    static PersonProfile Seated(params TeamSeat[] seats) => Valid() with { Teams = seats };

    static (IReadOnlyList<TeamSeat>, IReadOnlyList<string>) Now(params TeamSeat[] seats) => (seats, ["mastodon"]);

    [Fact]
    public void A_manager_reaches_people_of_their_teams_and_changes_seats_only_there()
    {
        TeamSeat cs = new("customer-service", false), pr = new("public-relations", false), mk = new("marketing", false);
        // In reach: a member of one of the manager's teams, moved between the manager's teams, or a new hire seated there.
        Assert.Null(PersonRules.MayReach("manager", false, Mine, Now(cs), Seated(cs, mk)));
        Assert.Null(PersonRules.MayReach("manager", false, Mine, Now(cs), Seated(mk)));
        Assert.Null(PersonRules.MayReach("manager", false, Mine, null, Seated(cs)));
        Assert.Null(PersonRules.MayReach("manager", false, Mine, Now(), Seated(mk)));
        // A seat elsewhere stays as it was: kept is fine, added, removed or made lead is not.
        Assert.Null(PersonRules.MayReach("manager", false, Mine, Now(cs, pr), Seated(cs, mk, pr)));
        Assert.Equal("teams: only an admin or a manager of 'public-relations' can change seats there",
            PersonRules.MayReach("manager", false, Mine, Now(cs), Seated(cs, pr)));
        Assert.Equal("teams: only an admin or a manager of 'public-relations' can change seats there",
            PersonRules.MayReach("manager", false, Mine, Now(cs, pr), Seated(cs)));
        Assert.Equal("teams: only an admin or a manager of 'public-relations' can change seats there",
            PersonRules.MayReach("manager", false, Mine, Now(cs, pr), Seated(cs, pr with { Lead = true })));
        Assert.Equal("teams: only an admin or a manager of 'public-relations' can change seats there",
            PersonRules.MayReach("manager", false, Mine, null, Seated(pr)));
        // Out of reach: someone seated only in other teams.
        Assert.StartsWith("this person sits in none of your teams (public-relations)",
            PersonRules.MayReach("manager", false, Mine, Now(pr), Seated(pr)), StringComparison.Ordinal);
        // Their own access is an admin's to change, even within their teams; other fields of their profile are theirs.
        Assert.Equal("teams: a manager cannot change their own team seats or channels; ask an admin",
            PersonRules.MayReach("manager", true, Mine, Now(cs), Seated(cs, mk)));
        Assert.Equal("teams: a manager cannot change their own team seats or channels; ask an admin",
            PersonRules.MayReach("manager", true, Mine, Now(cs), Seated(cs) with { Channels = [] }));
        Assert.Null(PersonRules.MayReach("manager", true, Mine, Now(cs), Seated(cs) with { Capacity = 9 }));
        // Admins reach everyone.
        Assert.Null(PersonRules.MayReach("admin", false, new HashSet<string>(), Now(pr), Seated(mk)));
        Assert.Null(PersonRules.OutOfReach("admin", new HashSet<string>(), [pr]));
        Assert.Null(PersonRules.OutOfReach("manager", Mine, []));
    }

    [Fact]
    public void Expert_areas_follow_the_profile_rules_and_a_manager_sets_them_only_within_reach()
    {
        var (areas, errors) = PersonRules.CheckAreas([" Legal ", "legal", "", "Privacy"]);
        Assert.Empty(errors);
        Assert.Equal(["Legal", "Privacy"], areas);
        Assert.Contains("areas[0]", PersonRules.CheckAreas(["Le\ngal"]).Errors.Single(), StringComparison.Ordinal);
        Assert.Equal("areas: at most 10", PersonRules.CheckAreas([.. Enumerable.Range(0, 11).Select(i => "a" + i)]).Errors.Single());
        Assert.Single(PersonRules.CheckAreas([new string('a', 61)]).Errors);

        var mine = new HashSet<string>(["customer-service"]);
        Assert.Null(PersonRules.MayChangeExpertise("manager", mine, "agent", [new TeamSeat("customer-service", false)]));
        Assert.Null(PersonRules.MayChangeExpertise("manager", mine, "agent", []));
        Assert.Contains("none of your teams", PersonRules.MayChangeExpertise("manager", mine, "agent", [new TeamSeat("public-relations", false)]), StringComparison.Ordinal);
        Assert.Equal("only an admin can change an admin", PersonRules.MayChangeExpertise("manager", mine, "admin", [new TeamSeat("customer-service", false)]));
        Assert.Equal("only admins and managers manage experts", PersonRules.MayChangeExpertise("agent", mine, "agent", []));
        Assert.Null(PersonRules.MayChangeExpertise("admin", new HashSet<string>(), "admin", [new TeamSeat("public-relations", false)]));
    }

    sealed class ProfileComparer : IEqualityComparer<PersonProfile>
    {
        public bool Equals(PersonProfile? a, PersonProfile? b) => a is not null && b is not null && a.Name == b.Name && a.Role == b.Role
            && a.Teams.SequenceEqual(b.Teams) && a.Channels.SequenceEqual(b.Channels) && a.Skills.SequenceEqual(b.Skills)
            && a.Languages.SequenceEqual(b.Languages) && a.Capacity == b.Capacity && a.ExpertAreas.SequenceEqual(b.ExpertAreas);

        public int GetHashCode(PersonProfile p) => p.Name.GetHashCode(StringComparison.Ordinal);
    }
}
