using Switchboard.Ingest;

namespace Switchboard.Demo;

/// <summary>
/// The demo's stream source: a steady flow of generated mentions through the same ingest queue every real
/// connector uses. A short burst at start-up fills the inbox within seconds; then one mention every
/// <see cref="DemoOptions.Interval"/>.
/// </summary>
internal sealed class DemoStream(IngestQueue queue, DemoOptions options, TimeProvider time, ILogger<DemoStream> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A new seed per start: restarting the demo adds new mentions instead of replaying ids already stored.
        var generator = new MentionGenerator(options.Seed ?? Random.Shared.Next(1, int.MaxValue));
        log.LogInformation("Demo stream started: {Burst} mentions now, then one every {Interval}", options.Burst, options.Interval);
        for (var i = 0; i < options.Burst && !stoppingToken.IsCancellationRequested; i++)
        {
            await queue.IngestAsync(generator.Next(time.GetUtcNow()), stoppingToken);
        }

        using var timer = new PeriodicTimer(options.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await queue.IngestAsync(generator.Next(time.GetUtcNow()), stoppingToken);
        }
    }
}

internal sealed record DemoOptions(TimeSpan Interval, int Burst, int? Seed);
