using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Switchboard.Audit;
using Switchboard.Channels.Accounts;
using Switchboard.Channels.Connectors;
using Switchboard.Hosting;
using Switchboard.Storage;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Switchboard.Channels.Admin;

/// <summary>
/// <c>switchboard channels import FILE</c> and <c>channels export</c>: channel accounts as YAML, for configuring a
/// server by files. Import validates the whole file first (every problem reported with its line and column, nothing
/// changed when any is found), then creates or updates accounts by name. Secrets may be written as <c>${ENV_VAR}</c>
/// so the file itself holds none; export never writes secrets, only which ones are set.
/// </summary>
internal static partial class ChannelsCommand
{
    public static Command Create()
    {
        var channels = new Command("channels", "Channel accounts (RSS, Mastodon, Bluesky, Slack, Meta, generic webhooks) as YAML");
        var import = new Command("import", "Create or update channel accounts from a YAML file (by name)");
        var file = new Argument<FileInfo>("FILE") { Description = "YAML with a top-level 'channels:' list" };
        var db = CommonOptions.Db();
        import.Arguments.Add(file);
        import.Options.Add(db);
        import.SetAction((parse, ct) => KeyRing.ReportingErrorsAsync(
            () => ImportAsync(CommonOptions.Database(parse.GetValue(db)), parse.GetValue(file)!, Console.Out, Console.Error, ct), Console.Error));
        var export = new Command("export", "Print the channel accounts as YAML (secrets are never printed)");
        var db2 = CommonOptions.Db();
        export.Options.Add(db2);
        export.SetAction((parse, ct) => KeyRing.ReportingErrorsAsync(
            () => ExportAsync(CommonOptions.Database(parse.GetValue(db2)), Console.Out, ct), Console.Error));
        channels.Subcommands.Add(import);
        channels.Subcommands.Add(export);
        return channels;
    }

    /// <summary>One entry read from the file, with where it starts (for messages).</summary>
    internal sealed record Entry(ChannelAccountInput Input, long Line, long Column);

    /// <summary>Reads and checks the YAML; returns entries or errors "FILE:line:column: message".</summary>
    internal static (List<Entry> Entries, List<string> Errors) Read(string path, TextReader text, Func<string, string?> env)
    {
        var entries = new List<Entry>();
        var errors = new List<string>();
        var stream = new YamlStream();
        try
        {
            stream.Load(text);
        }
        catch (YamlException ex)
        {
            errors.Add($"{path}:{ex.Start.Line}:{ex.Start.Column}: {ex.Message}");
            return (entries, errors);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root ||
            !root.Children.TryGetValue(new YamlScalarNode("channels"), out var listNode) || listNode is not YamlSequenceNode list)
        {
            errors.Add($"{path}:1:1: expected a top-level 'channels:' list");
            return (entries, errors);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            string At(YamlNode n) => $"{path}:{n.Start.Line}:{n.Start.Column}";
            if (item is not YamlMappingNode map)
            {
                errors.Add($"{At(item)}: each channel must be a mapping (name:, kind:, settings:, secrets:)");
                continue;
            }
            string? kind = null, name = null;
            bool? enabled = null;
            long? interval = null;
            var settings = new Dictionary<string, string>();
            var secrets = new Dictionary<string, string>();
            var ok = true;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                switch (key)
                {
                    case "kind" or "name" or "enabled" or "expected_interval_seconds" when value is not YamlScalarNode:
                        errors.Add($"{At(value)}: '{key}' must be a single value");
                        ok = false;
                        break;
                    case "kind":
                        kind = ((YamlScalarNode)value).Value;
                        break;
                    case "name":
                        name = ((YamlScalarNode)value).Value;
                        break;
                    case "enabled":
                        if (bool.TryParse(((YamlScalarNode)value).Value, out var e))
                            enabled = e;
                        else
                        {
                            errors.Add($"{At(value)}: enabled must be true or false");
                            ok = false;
                        }
                        break;
                    case "expected_interval_seconds":
                        if (long.TryParse(((YamlScalarNode)value).Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
                            interval = s;
                        else
                        {
                            errors.Add($"{At(value)}: expected_interval_seconds must be a whole number");
                            ok = false;
                        }
                        break;
                    case "settings" or "secrets":
                        if (value is not YamlMappingNode values)
                        {
                            errors.Add($"{At(value)}: '{key}' must be a mapping of names to values");
                            ok = false;
                            break;
                        }
                        foreach (var (k, v) in values.Children)
                        {
                            if (k is not YamlScalarNode { Value: { } sk } || v is not YamlScalarNode { Value: { } sv })
                            {
                                errors.Add($"{At(v)}: {key} values must be plain text");
                                ok = false;
                                continue;
                            }
                            if (key == "secrets")
                            {
                                var resolved = Resolve(sv, env);
                                if (resolved is null)
                                {
                                    errors.Add($"{At(v)}: environment variable for secret '{sk}' is not set ({sv})");
                                    ok = false;
                                    continue;
                                }
                                secrets[sk] = resolved;
                            }
                            else
                                settings[sk] = sv;
                        }
                        break;
                    case "secrets_set":
                        break; // written by export so a reader knows which secrets to supply; informational
                    default:
                        errors.Add($"{At(keyNode)}: unknown field '{key}' (name, kind, enabled, expected_interval_seconds, settings, secrets)");
                        ok = false;
                        break;
                }
            }
            if (!ok)
                continue;
            if (name is not null && !names.Add(name))
            {
                errors.Add($"{At(item)}: the name '{name}' appears twice in the file");
                continue;
            }
            entries.Add(new Entry(new ChannelAccountInput(kind, name, enabled, settings, secrets, interval), item.Start.Line, item.Start.Column));
        }
        return (entries, errors);
    }

    /// <summary>"${NAME}" reads the environment (null when unset); any other value is taken literally.</summary>
    private static string? Resolve(string value, Func<string, string?> env)
    {
        var m = EnvPattern().Match(value);
        return m.Success ? env(m.Groups[1].Value) : value;
    }

    [GeneratedRegex(@"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")]
    private static partial Regex EnvPattern();

    internal static async Task<int> ImportAsync(Database db, FileInfo file, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (CliFiles.InputProblem(file) is { } fileProblem)
        {
            await stderr.WriteLineAsync("error: " + fileProblem);
            return 2;
        }

        List<Entry> entries;
        List<string> errors;
        using (var reader = file.OpenText())
            (entries, errors) = Read(file.Name, reader, Environment.GetEnvironmentVariable);
        await Migrator.MigrateAsync(db, ct);
        var store = Store(db);
        var existing = (await store.ListAsync(ct: ct)).ToDictionary(a => a.Name, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            var i = e.Input;
            var known = existing.TryGetValue(i.Name?.Trim() ?? "", out var current) ? current : null;
            if (known is not null && i.Kind is not null && i.Kind != known.Kind)
            {
                errors.Add($"{file.Name}:{e.Line}:{e.Column}: '{known.Name}' exists as a {known.Kind} account; the kind cannot change");
                continue;
            }
            foreach (var problem in ChannelAccountRules.Validate(i.Kind ?? known?.Kind ?? "", i.Name ?? "", i.Settings ?? [], i.Secrets ?? [],
                         i.ExpectedIntervalSeconds, known?.Secrets.Keys))
                errors.Add($"{file.Name}:{e.Line}:{e.Column}: {problem}");
        }
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync("error: " + error);
            await stderr.WriteLineAsync($"nothing imported ({errors.Count} problem{(errors.Count == 1 ? "" : "s")})");
            return 1;
        }
        var commands = new ChannelAccountCommands(db, store, new ConnectorSignal(), TimeProvider.System);
        AuditEntry Audit(string action, string id, object? before, object? after) => new(null, "cli:channels import", action, "channel_account", id, before, after);
        int created = 0, updated = 0;
        foreach (var e in entries)
        {
            var result = existing.TryGetValue(e.Input.Name!.Trim(), out var current)
                ? await commands.UpdateAsync(current.Id, e.Input, Audit, ct)
                : await commands.CreateAsync(e.Input, Audit, ct);
            if (!result.Ok)
            {
                await stderr.WriteLineAsync($"error: {file.Name}:{e.Line}:{e.Column}: {string.Join("; ", result.Errors)}");
                return 1;
            }
            if (current is null)
                created++;
            else
                updated++;
        }
        await stdout.WriteLineAsync($"{created} created, {updated} updated. A running server applies the change within 30 seconds.");
        return 0;
    }

    internal static async Task<int> ExportAsync(Database db, TextWriter stdout, CancellationToken ct)
    {
        await Migrator.MigrateAsync(db, ct);
        var accounts = await Store(db).ListAsync(ct: ct);
        var model = new Dictionary<string, object>
        {
            ["channels"] = accounts.Select(a =>
            {
                var entry = new Dictionary<string, object?>
                {
                    ["name"] = a.Name,
                    ["kind"] = a.Kind,
                    ["enabled"] = a.Enabled,
                };
                if (a.ExpectedInterval is { } interval)
                    entry["expected_interval_seconds"] = (long)interval.TotalSeconds;
                entry["settings"] = a.Settings.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);
                if (a.Secrets.Count > 0)
                    entry["secrets_set"] = a.Secrets.Keys.Order(StringComparer.Ordinal).ToList();
                return entry;
            }).ToList(),
        };
        await stdout.WriteLineAsync("# Switchboard channel accounts. Secrets are not exported: add a 'secrets:' mapping (values or ${ENV_VAR}) to import elsewhere.");
        await stdout.WriteAsync(new SerializerBuilder().Build().Serialize(model));
        return 0;
    }

    private static ChannelAccountStore Store(Database db)
    {
        var settings = new ServeSettings(db, "", false, TimeSpan.Zero);
        var protection = DataProtectionProvider.Create(new DirectoryInfo(settings.KeysDirectory),
            b => KeyRing.Configure(b, settings.KeysDirectory, settings.KeysCertificate));
        return new ChannelAccountStore(db, protection, TimeProvider.System);
    }
}
