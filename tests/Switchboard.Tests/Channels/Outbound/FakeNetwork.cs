using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Channels.Outbound;

/// <summary>
/// An in-process Kestrel server on 127.0.0.1:0 whose endpoints a test maps to speak one network's API. It records
/// every request (method, path and query, headers, body) so tests can count what reached "the network".
/// </summary>
internal sealed class FakeNetwork : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Request(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

    public List<Request> Requests { get; } = [];

    public Uri Address { get; }

    private FakeNetwork(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public string Url => Address.ToString().TrimEnd('/');

    public int Count(string method, string pathStart)
    {
        lock (Requests)
            return Requests.Count(r => r.Method == method && r.PathAndQuery.StartsWith(pathStart, StringComparison.Ordinal));
    }

    public static async Task<FakeNetwork> StartAsync(Action<IEndpointRouteBuilder> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeNetwork? self = null;
        app.Use(async (ctx, next) =>
        {
            ctx.Request.EnableBuffering();
            using var reader = new StreamReader(ctx.Request.Body, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            ctx.Request.Body.Position = 0;
            var request = new Request(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString,
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
            lock (self!.Requests)
                self.Requests.Add(request);
            await next();
        });
        map(app);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        self = new FakeNetwork(app, address);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
