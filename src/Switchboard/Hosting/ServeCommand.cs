using System.CommandLine;
using Switchboard.Ingest;

namespace Switchboard.Hosting;

/// <summary>`switchboard serve`: the web UI, the HTTP API and the background pipeline in one process.</summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://localhost:5080";

    /// <param name="adjust">
    /// Changes the settings before the server is built; only the test suite's own entry point passes one (to let
    /// connectors reach fake networks on loopback), so a server process under test parses its arguments like this one.
    /// </param>
    public static Command Create(Func<ServeSettings, ServeSettings>? adjust = null)
    {
        var cmd = new Command("serve", "Run Switchboard: web UI, HTTP API and the ingest pipeline");
        var demo = new Option<bool>("--demo") { Description = "Seed the demo workspace (once) and stream generated mentions" };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on", DefaultValueFactory = _ => DefaultUrls };
        var interval = new Option<double>("--demo-interval")
        {
            Description = "Seconds between demo mentions",
            DefaultValueFactory = _ => 1.5,
        };
        var proxies = new Option<string>("--trusted-proxies")
        {
            Description = "Reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto are believed",
        };
        var db = CommonOptions.Db();
        cmd.Options.Add(proxies);
        cmd.Options.Add(demo);
        cmd.Options.Add(urls);
        cmd.Options.Add(db);
        cmd.Options.Add(interval);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(interval) is < 0.01 or > 3600)
            {
                await Console.Error.WriteLineAsync("error: --demo-interval must be between 0.01 and 3600 seconds");
                return 2;
            }

            TrustedProxies? trusted = null;
            if (parse.GetValue(proxies) is { } list)
            {
                (trusted, var error) = TrustedProxies.Parse(list);
                if (error is not null)
                {
                    await Console.Error.WriteLineAsync("error: --trusted-proxies: " + error);
                    return 2;
                }
            }

            var settings = new ServeSettings(
                CommonOptions.Database(parse.GetValue(db)),
                parse.GetValue(urls)!,
                parse.GetValue(demo),
                TimeSpan.FromSeconds(parse.GetValue(interval)))
            {
                // A malformed value stops the start with an error naming the variable (a CliException).
                Faults = IngestFaults.FromEnvironment(),
                TrustedProxies = trusted,
            };
            settings = adjust?.Invoke(settings) ?? settings;
            return await KeyRing.ReportingErrorsAsync(() => RunAsync(settings, ct), Console.Error);
        });
        return cmd;
    }

    internal static async Task<int> RunAsync(ServeSettings settings, CancellationToken ct)
    {
        var app = SwitchboardApp.Build(settings);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard");
        log.LogInformation("Database: {Db}", settings.Db.Display);
        if (settings.Faults is { } faults)
        {
            log.LogWarning("{Variable}={Fault}: this process will kill itself when that message crosses that point (a test hook)",
                IngestFaults.Variable, faults);
        }

        if (settings.TrustedProxies is { } proxies)
        {
            log.LogInformation("Trusting X-Forwarded-For and X-Forwarded-Proto from {Proxies}",
                string.Join(", ", proxies.Addresses.Select(a => a.ToString()).Concat(proxies.Networks.Select(n => n.ToString()))));
        }

        await SwitchboardApp.PrepareAsync(settings, log, ct);
        await app.StartAsync(ct);
        log.LogInformation("Switchboard is listening on {Urls}", string.Join(", ", app.Urls));
        await app.WaitForShutdownAsync(ct);
        return 0;
    }
}
