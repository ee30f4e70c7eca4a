using Switchboard.Classification.Intent;
using Switchboard.Classification.Routing;

namespace Switchboard.Classification.Corrections;

/// <summary>The outcome of checking a correction: the canonical value to store, or why it is refused.</summary>
public sealed record LabelCheck(string? Value, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Which labels a person can correct and which values each accepts. The built-in labels have fixed value sets; a
/// custom label accepts the values its active model predicts. Names are the wire names used in the API and filters.
/// </summary>
public static class LabelCatalog
{
    public const string Sentiment = "sentiment";
    public const string Intent = "intent";
    public const string Department = "department";
    public const string Language = "language";

    public const int MaxNameLength = 40;

    public static IReadOnlyList<string> BuiltIn { get; } = [Sentiment, Intent, Department, Language];

    public static IReadOnlyList<string> Sentiments { get; } = ["negative", "neutral", "positive"];

    public static IReadOnlyList<string> Intents { get; } =
        [.. Enum.GetValues<IntentLabel>().Select(i => i.ToSnakeCase())];

    /// <summary>Department display names plus "none" (stored as NULL: no department owns the message).</summary>
    public static IReadOnlyList<string> Departments { get; } =
        [.. Enum.GetValues<Routing.Department>().Where(d => d != Routing.Department.None).Select(d => d.Display()), "none"];

    public static IReadOnlyList<string> Languages { get; } = ["en", "es", "fr", "de", "pt", "it", "nl", "und"];

    /// <summary>Names a workspace model may not take: they are default labels no model replaces.</summary>
    private static readonly string[] Reserved = [Intent, Department, Language, "urgency", "influence", "category"];

    /// <summary>The values of a built-in label, or null for a name that is not built in.</summary>
    public static IReadOnlyList<string>? ValuesOf(string label) => label switch
    {
        Sentiment => Sentiments,
        Intent => Intents,
        Department => Departments,
        Language => Languages,
        _ => null,
    };

    /// <summary>
    /// Checks a correction. <paramref name="customValues"/> maps each custom label (an active model's name) to the
    /// values its model predicts. Department values match case-insensitively and come back in their display form.
    /// </summary>
    public static LabelCheck Check(string? label, string? value, IReadOnlyDictionary<string, IReadOnlyList<string>> customValues)
    {
        if (string.IsNullOrWhiteSpace(label))
        {
            return new(null, "label is required (one of " + string.Join(", ", BuiltIn.Concat(customValues.Keys)) + ")");
        }

        if (value is null)
        {
            return new(null, "value is required");
        }

        var values = ValuesOf(label) ?? (customValues.TryGetValue(label, out var v) ? v : null);
        if (values is null)
        {
            return new(null, $"unknown label '{Clip(label)}': labels are {string.Join(", ", BuiltIn.Concat(customValues.Keys))}");
        }

        var comparison = label == Department ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var match = values.FirstOrDefault(x => string.Equals(x, value.Trim(), comparison));
        return match is null
            ? new(null, $"'{Clip(value)}' is not a value of {label}: one of {string.Join(", ", values)}")
            : new(match, null);
    }

    /// <summary>
    /// A model name is lower-case letters, digits and underscores, starting with a letter (it becomes a filter key
    /// and a label name), and not one of the default labels other than sentiment.
    /// </summary>
    public static string? CheckModelName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a model name is required (e.g. sentiment or complaint_reason)";
        }

        if (name.Length > MaxNameLength || !char.IsAsciiLetterLower(name[0]) ||
            !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            return $"model name '{Clip(name)}' must be 1–{MaxNameLength} lower-case letters, digits or underscores, starting with a letter";
        }

        return Reserved.Contains(name)
            ? $"'{name}' is a default label no model replaces; name the model 'sentiment' or give it a name of its own"
            : null;
    }

    /// <summary>A sentiment model must speak the default sentiment's values, or it would write labels nothing reads.</summary>
    public static string? CheckModelLabels(string name, IReadOnlyList<string> labels)
    {
        if (name != Sentiment)
        {
            return labels.Any(l => l.Length is 0 or > 200) ? "the model has an empty or over-long label" : null;
        }

        var foreign = labels.Where(l => !Sentiments.Contains(l)).ToList();
        return foreign.Count == 0
            ? null
            : $"a sentiment model must predict {string.Join(", ", Sentiments)}; this one also predicts {string.Join(", ", foreign.Take(5).Select(Clip))}";
    }

    // Error messages echo the caller's input; a hostile megabyte-long value must not come back whole.
    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
