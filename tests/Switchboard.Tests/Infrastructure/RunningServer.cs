using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Auth;
using Switchboard.Demo;
using Switchboard.Hosting;
using Switchboard.Storage;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// The real server (Kestrel, the real pipeline, a real database) on a free loopback port, in this process.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, Database db, Uri address)
    {
        _app = app;
        Db = db;
        Address = address;
    }

    public Database Db { get; }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The server's clock: the system clock unless the test started it with a manual one (<c>configure: s =&gt; s with { Time = clock }</c>).</summary>
    public TimeProvider Time => _app.Services.GetRequiredService<TimeProvider>();

    public static async Task<RunningServer> StartAsync(Database db, bool demo = false, TimeSpan? demoInterval = null,
        Func<ServeSettings, ServeSettings>? configure = null)
    {
        var settings = new ServeSettings(db, "http://127.0.0.1:0", demo, demoInterval ?? TimeSpan.FromSeconds(1), DemoSeed: 7);
        settings = configure?.Invoke(settings) ?? settings;
        var app = SwitchboardApp.Build(settings);
        await SwitchboardApp.PrepareAsync(settings, app.Logger, CancellationToken.None);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, db, new Uri(address));
    }

    public HttpClient Client(string? bearer = null)
    {
        var c = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (bearer is not null)
        {
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return c;
    }

    /// <summary>A client authenticated as the demo admin (seeding the demo users when needed).</summary>
    public Task<HttpClient> AdminClientAsync() => ClientForAsync(DemoWorkspace.Agents[0].Email);

    /// <summary>A client authenticated as <paramref name="email"/> with an API token (seeding the demo users when needed).</summary>
    public async Task<HttpClient> ClientForAsync(string email)
    {
        await DemoWorkspace.SeedAsync(Db, Time);
        await using var conn = await Db.OpenAsync();
        var user = await Users.FindAsync(conn, email) ?? throw new InvalidOperationException($"no user {email}");
        return Client(await ApiTokens.CreateAsync(conn, user.Id, "test", Time));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
