using System.Security.Claims;
using Switchboard.Api;
using Switchboard.Auth;

namespace Switchboard.People;

/// <summary>People: the API under /api/people (admins and managers) and the /people page.</summary>
internal static class PeopleSetup
{
    public static void AddPeople(this WebApplicationBuilder builder) => builder.Services.AddSingleton<PeopleStore>();

    public static void MapPeople(this WebApplication app, RouteGroupBuilder api)
    {
        var g = api.MapGroup("/people").WithTags("People").RequireAuthorization(Policies.Manager);
        g.MapGet("/", async (PeopleStore s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(ct)))
            .WithSummary("Everyone who signs in: role, team seats, channel scope, skills, languages, capacity, expert areas, load");
        g.MapGet("/{id:long}", async Task<IResult> (long id, PeopleStore s, CancellationToken ct) =>
            await s.GetAsync(id, ct) is { } p ? TypedResults.Ok(p) : TypedResults.NotFound(new ProblemDetailsDto(404, $"no person {id}")))
            .WithSummary("One person");
        g.MapPost("/", async (PersonRequest? body, ClaimsPrincipal user, PeopleStore s, CancellationToken ct) =>
            body is null ? Problems.BadRequest("expected a JSON body") : ToHttp(await s.CreateAsync(user, body, ct)))
            .WithSummary("Add a person (email, name, role, password of at least 12 characters, and their profile)");
        g.MapPut("/{id:long}", async (long id, PersonRequest? body, ClaimsPrincipal user, PeopleStore s, CancellationToken ct) =>
            body is null ? Problems.BadRequest("expected a JSON body") : ToHttp(await s.UpdateAsync(user, id, body, ct)))
            .WithSummary("Replace a person's profile; only admins grant the admin role or set another person's password");
        g.MapPost("/{id:long}/deactivate", async Task<IResult> (long id, ClaimsPrincipal user, PeopleStore s, CancellationToken ct) =>
            await s.DeactivateAsync(user, id, ct) switch
            {
                ({ } done, _, _) => TypedResults.Ok(done),
                (_, 404, var error) => TypedResults.NotFound(new ProblemDetailsDto(404, error!)),
                (_, var status, var error) => TypedResults.Problem(detail: error, statusCode: status),
            })
            .WithSummary("End a person's access (sign-in, sessions, API tokens); their open conversations go back to their teams, their open hand-overs are cancelled");
        g.MapPost("/{id:long}/reactivate", async (long id, ClaimsPrincipal user, PeopleStore s, CancellationToken ct) => ToHttp(await s.ReactivateAsync(user, id, ct)))
            .WithSummary("Give a deactivated person their access back (new API tokens needed)");
    }

    static IResult ToHttp(PersonResult r) => r.Status switch
    {
        200 => TypedResults.Ok(r.Person),
        201 => TypedResults.Created($"/api/people/{r.Person!.Id}", r.Person),
        404 => TypedResults.NotFound(new ProblemDetailsDto(404, r.Error!)),
        _ => TypedResults.Problem(detail: r.Error, statusCode: r.Status),
    };
}
