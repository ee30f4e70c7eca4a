using Switchboard.Reports;
using Switchboard.Routing.Configuration;
using Xunit;

namespace Switchboard.Domain.Tests.Reports;

public class DigestScheduleTests
{
    static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    static DigestSchedule Weekly(TimeZoneInfo? zone = null, string at = "08:00") =>
        new("exec", "ops", DigestEvery.Week, DayOfWeek.Monday, TimeOnly.Parse(at, System.Globalization.CultureInfo.InvariantCulture), zone ?? Paris, null);

    [Fact]
    public void A_weekly_digest_sent_on_monday_covers_the_week_before()
    {
        // Wednesday 4 March 2026, 12:00 UTC: the latest send was Monday 2 March 08:00 Paris (07:00 UTC).
        var (send, period) = Weekly().Latest(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 7, 0, 0, TimeSpan.Zero), send);
        Assert.Equal((new DateOnly(2026, 2, 23), new DateOnly(2026, 3, 1)), (period.From, period.To));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 7, 0, 0, TimeSpan.Zero), Weekly().Next(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void The_send_time_is_inclusive_and_a_minute_before_it_is_still_the_previous_week()
    {
        var at = new DateTimeOffset(2026, 3, 2, 7, 0, 0, TimeSpan.Zero);
        Assert.Equal(at, Weekly().Latest(at).SendAt);
        Assert.Equal(at.AddDays(-7), Weekly().Latest(at.AddMinutes(-1)).SendAt);
        Assert.Equal(at, Weekly().Next(at.AddMinutes(-1)));
        Assert.Equal(at.AddDays(7), Weekly().Next(at));
    }

    [Fact]
    public void Eight_oclock_stays_eight_oclock_across_daylight_saving()
    {
        // Paris springs forward on Sunday 29 March 2026: Monday 30 March 08:00 is 06:00 UTC, a week before it was 07:00.
        var next = Weekly().Next(new DateTimeOffset(2026, 3, 24, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 6, 0, 0, TimeSpan.Zero), next);
        // A time the change skips moves to the first valid minute after it (02:30 does not exist that Sunday).
        var daily = new DigestSchedule("d", "ops", DigestEvery.Day, DayOfWeek.Monday, new TimeOnly(2, 30), Paris, null);
        var (send, period) = daily.Latest(new DateTimeOffset(2026, 3, 29, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)), send);
        Assert.Equal((new DateOnly(2026, 3, 28), new DateOnly(2026, 3, 28)), (period.From, period.To));
    }

    [Fact]
    public void A_missed_send_is_due_for_twelve_hours_only()
    {
        var at = new DateTimeOffset(2026, 3, 2, 7, 0, 0, TimeSpan.Zero);
        Assert.True(Weekly().IsDue(at));
        Assert.True(Weekly().IsDue(at + DigestSchedule.Grace));
        Assert.False(Weekly().IsDue(at + DigestSchedule.Grace + TimeSpan.FromMinutes(1)));
    }

    const string Base = """
        version: 1
        calendars:
          - name: always
            zone: UTC
            hours:
              daily: ["00:00-24:00"]
        teams:
          - name: customer-service
            calendar: always
        webhooks:
          ops: https://hooks.example.test/ops
        """;

    [Fact]
    public void The_workspace_yaml_declares_digests()
    {
        var r = WorkspaceLoader.LoadText(Base + """

            digests:
              - name: exec
                webhook: ops
                every: week
                on: Monday
                at: "08:30"
                zone: Europe/Paris
              - name: care
                webhook: ops
                every: day
                at: "07:00"
                team: customer-service
            """);
        Assert.True(r.Ok, string.Join("; ", r.Errors));
        var (exec, care) = (r.Workspace!.Digests[0], r.Workspace.Digests[1]);
        Assert.Equal(("exec", DigestEvery.Week, DayOfWeek.Monday, new TimeOnly(8, 30), "Europe/Paris", (string?)null), (exec.Name, exec.Every, exec.Weekday, exec.At, exec.Zone.Id, exec.Team));
        Assert.Equal((DigestEvery.Day, "UTC", "customer-service"), (care.Every, care.Zone.Id, care.Team));
    }

    [Theory]
    [InlineData("    webhook: nope\n    every: day\n    at: \"08:00\"", "digests[0].webhook", "unknown webhook 'nope'")]
    [InlineData("    webhook: ops\n    every: week\n    at: \"08:00\"", "digests[0].on", "needs the day")]
    [InlineData("    webhook: ops\n    every: day\n    on: monday\n    at: \"08:00\"", "digests[0].on", "only a weekly digest")]
    [InlineData("    webhook: ops\n    every: week\n    on: someday\n    at: \"08:00\"", "digests[0].on", "unknown day 'someday'")]
    [InlineData("    webhook: ops\n    every: month\n    at: \"08:00\"", "digests[0].every", "unknown period 'month'")]
    [InlineData("    webhook: ops\n    every: day\n    at: \"8am\"", "digests[0].at", "expected a time of day")]
    [InlineData("    webhook: ops\n    every: day\n    at: \"24:00\"", "digests[0].at", "expected a time of day")]
    [InlineData("    webhook: ops\n    every: day\n    at: \"08:00\"\n    zone: Moon/Base", "digests[0].zone", "unknown time zone")]
    [InlineData("    webhook: ops\n    every: day\n    at: \"08:00\"\n    team: legal", "digests[0].team", "unknown team 'legal'")]
    [InlineData("    webhook: ops\n    every: day\n    at: \"08:00\"\n    cc: boss", "digests[0].cc", "unknown field 'cc'")]
    public void A_wrong_digest_is_refused_at_its_path(string body, string path, string message)
    {
        var r = WorkspaceLoader.LoadText(Base + "\ndigests:\n  - name: x\n" + body + "\n");
        Assert.False(r.Ok);
        var e = Assert.Single(r.Errors, e => e.Path == path);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.True(e.Line > 0 || path.EndsWith(".on", StringComparison.Ordinal), e.ToString());
    }

    [Fact]
    public void Two_digests_with_one_name_are_refused()
    {
        var r = WorkspaceLoader.LoadText(Base + "\ndigests:\n  - name: x\n    webhook: ops\n    every: day\n    at: \"08:00\"\n  - name: x\n    webhook: ops\n    every: day\n    at: \"09:00\"\n");
        Assert.False(r.Ok);
        Assert.Contains(r.Errors, e => e.Path.StartsWith("digests[1]", StringComparison.Ordinal));
    }
}
