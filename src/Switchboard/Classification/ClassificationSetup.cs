using Switchboard.Auth;
using Switchboard.Classification.Corrections;
using Switchboard.Classification.Models;

namespace Switchboard.Classification;

/// <summary>Registers learning from corrections: the retraining scheduler, the API and the UI form endpoints.</summary>
internal static class ClassificationSetup
{
    public const string IntervalKey = "Classification:RetrainInterval";
    public const string IntervalVariable = "SWITCHBOARD_RETRAIN_INTERVAL";

    public static void AddClassification(this WebApplicationBuilder builder)
    {
        var text = builder.Configuration[IntervalKey] ?? builder.Configuration[IntervalVariable];
        TimeSpan? interval = RetrainOptions.DefaultInterval;
        if (string.Equals(text?.Trim(), "off", StringComparison.OrdinalIgnoreCase))
        {
            interval = null;
        }
        else if (text is not null)
        {
            interval = RetrainSchedule.ParseInterval(text)
                ?? throw new InvalidOperationException(
                    $"{IntervalVariable} / {IntervalKey} = '{text}': use 30m, 6h, 1d (between 1 minute and 365 days) or 'off'");
        }

        builder.Services.AddSingleton(new RetrainOptions(interval));
        builder.Services.AddSingleton<RetrainScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetrainScheduler>());
    }

    public static void MapClassification(this WebApplication app)
    {
        app.MapGroup("/api").RequireAuthorization(AuthSetup.ApiPolicy).MapClassificationApi();
        app.MapClassificationForms();
    }
}
