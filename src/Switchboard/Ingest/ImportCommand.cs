using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Spectre.Console;
using Switchboard.Classification.Corrections;
using Switchboard.Hosting;
using Switchboard.Posts;
using Switchboard.Storage;

namespace Switchboard.Ingest;

/// <summary>
/// `switchboard import FILE`: loads posts (Switchboard JSONL, the airline CSV, Customer Support on Twitter CSV, or a
/// CSV with --text-column) through the same dedupe → thread → classify → route path as live traffic. Each batch is
/// one transaction, so an interrupted import can simply be run again: what was committed is skipped as duplicates.
/// </summary>
internal static class ImportCommand
{
    public const int BatchSize = 1000;
    private const int MaxErrorsShown = 50;

    public static Command Create()
    {
        var cmd = new Command("import", "Import posts from a JSONL or CSV file (idempotent: re-importing adds nothing)");
        var file = new Argument<FileInfo>("FILE") { Description = "The file to import (.jsonl, .csv)" };
        var textColumn = new Option<string?>("--text-column") { Description = "CSV: the column holding the text (default: text)" };
        var idColumn = new Option<string?>("--id-column") { Description = "CSV: the column holding a unique id (default: tweet_id or id)" };
        var channel = new Option<string>("--channel") { Description = "CSV: channel for rows without one", DefaultValueFactory = _ => "import" };
        var labelColumn = new Option<string?>("--label-column") { Description = "A column (CSV) or field (JSONL) holding a human label to learn from" };
        var labelName = new Option<string?>("--label") { Description = "Which label --label-column holds: sentiment, or a custom label set name" };
        var db = CommonOptions.Db();
        cmd.Options.Add(labelColumn);
        cmd.Options.Add(labelName);
        cmd.Arguments.Add(file);
        cmd.Options.Add(textColumn);
        cmd.Options.Add(idColumn);
        cmd.Options.Add(channel);
        cmd.Options.Add(db);
        cmd.SetAction((parse, ct) => RunAsync(
            CommonOptions.Database(parse.GetValue(db)), parse.GetValue(file)!,
            new PostReadOptions(parse.GetValue(textColumn), parse.GetValue(idColumn), parse.GetValue(channel)!),
            Console.Out, Console.Error, interactive: !Console.IsErrorRedirected && !Console.IsOutputRedirected, ct,
            parse.GetValue(labelColumn) is { } col ? new ImportLabelOptions(col, parse.GetValue(labelName) ?? col) : null));
        return cmd;
    }

    /// <param name="LabelMissing">--label-column named a field no record has: the posts were stored, the labels not.</param>
    internal sealed record Summary(long Read, long Imported, long Duplicates, long Rejected, bool LabelMissing = false);

    internal static async Task<int> RunAsync(Database db, FileInfo file, PostReadOptions options, TextWriter stdout, TextWriter stderr,
        bool interactive, CancellationToken ct, ImportLabelOptions? labels = null)
    {
        if (labels is not null && ImportedLabels.Check(labels) is { } labelError)
        {
            await stderr.WriteLineAsync("error: " + labelError);
            return 2;
        }

        if (CliFiles.InputProblem(file) is { } problem)
        {
            await stderr.WriteLineAsync("error: " + problem);
            return 2;
        }

        await Migrator.MigrateAsync(db, ct);
        var jsonl = labels is not null && IsJsonl(file);
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        // Invalid UTF-8 becomes U+FFFD instead of aborting the import; the row is still readable and reported as is.
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);

        Summary? summary = null;
        var watch = Stopwatch.StartNew();
        if (interactive)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"Importing {file.Name}", maxValue: Math.Max(1, stream.Length));
                    summary = await ImportAsync(db, reader, options, stderr, s => task.Value = stream.Position, ct, labels, jsonl);
                    task.Value = task.MaxValue;
                });
        }
        else
        {
            var lastReport = Stopwatch.StartNew();
            summary = await ImportAsync(db, reader, options, stderr, s =>
            {
                if (lastReport.Elapsed > TimeSpan.FromSeconds(2))
                {
                    lastReport.Restart();
                    stderr.WriteLine($"progress: {s.Read} read, {s.Imported} imported, {s.Duplicates} duplicates, {s.Rejected} rejected " +
                                     $"({100.0 * stream.Position / Math.Max(1, stream.Length):0}%)");
                }
            }, ct, labels, jsonl);
        }

        var r = summary!;
        await stdout.WriteLineAsync(
            $"{file.Name}: {r.Read} read, {r.Imported} imported, {r.Duplicates} duplicates, {r.Rejected} rejected in {watch.Elapsed.TotalSeconds:0.0}s ({db.Display})");
        return r.LabelMissing ? 2 : r.Rejected > 0 && r.Imported + r.Duplicates == 0 ? 1 : 0;
    }

    // Read separately, so the import's own reader starts at the beginning; the rule is PostFiles'.
    private static bool IsJsonl(FileInfo file)
    {
        using var r = new StreamReader(file.FullName, new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);
        return PostFiles.IsJsonl(r);
    }

    private static async Task<Summary> ImportAsync(Database db, TextReader reader, PostReadOptions options, TextWriter stderr,
        Action<Summary> progress, CancellationToken ct, ImportLabelOptions? labels = null, bool jsonl = false)
    {
        var labelSeen = false;
        long read = 0, imported = 0, duplicates = 0, rejected = 0;
        var batch = new List<Post>(BatchSize);
        var labelled = new List<(long Line, Post Post, string? Value)>();
        await using var conn = await db.OpenAsync(ct);
        var topics = new Listening.TopicIndex();
        // The same routing as the server: the active rule version, assignment and SLA clocks (backdated at most an hour,
        // so importing history raises no storm of breaches). A running server's scheduler picks the new timers up on
        // its sweep; escalation webhooks wait in the outbox for it.
        var routing = new Routing.RoutingRuntime(db,
            new Routing.ActiveRules(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Routing.ActiveRules>.Instance),
            new Sla.SlaSignal(), new Inbox.InboxFeed(), TimeProvider.System);

        async Task FlushAsync()
        {
            if (batch.Count == 0)
            {
                return;
            }

            var result = await IngestBatch.WriteAsync(db, conn, batch, TimeProvider.System, ct, topics, routing);
            imported += result.Outcomes.Count(o => o == IngestOutcome.Stored);
            duplicates += result.Outcomes.Count(o => o == IngestOutcome.Duplicate);
            if (labels is not null)
            {
                foreach (var refusal in await ImportedLabels.StoreAsync(db, conn, labels, labelled, TimeProvider.System, ct))
                {
                    await stderr.WriteLineAsync("label refused: " + refusal);
                }

                labelled.Clear();
            }

            batch.Clear();
            progress(new Summary(read, imported, duplicates, rejected));
        }

        foreach (var record in PostFiles.Read(reader, options))
        {
            ct.ThrowIfCancellationRequested();
            read++;
            if (record.Error is not null)
            {
                rejected++;
                if (rejected <= MaxErrorsShown)
                {
                    await stderr.WriteLineAsync("rejected: " + record.Error);
                }
                else if (rejected == MaxErrorsShown + 1)
                {
                    await stderr.WriteLineAsync($"rejected: more than {MaxErrorsShown} bad rows; counting the rest silently");
                }

                continue;
            }

            batch.Add(record.Post!);
            if (labels is not null)
            {
                var has = record.Fields.ContainsKey(labels.Column);
                labelSeen |= has;
                // A CSV record carries every header column, so the first one tells whether the column exists, before
                // anything is stored. A JSONL line may leave the label out (an unlabelled post), so there only the end
                // tells.
                if (!has && !jsonl && labelled.Count == 0 && imported + duplicates == 0)
                {
                    await stderr.WriteLineAsync($"error: the input has no '{labels.Column}' column (columns: {string.Join(", ", record.Fields.Keys)})");
                    return new Summary(read, 0, 0, read);
                }

                labelled.Add((record.Line, record.Post!, record.Fields.GetValueOrDefault(labels.Column)));
            }
            if (batch.Count >= BatchSize)
            {
                await FlushAsync();
            }
        }

        await FlushAsync();
        if (labels is not null && !labelSeen && read > rejected)
        {
            await stderr.WriteLineAsync($"error: no line has a '{labels.Column}' field: the posts were imported, no label was stored");
            return new Summary(read, imported, duplicates, rejected, LabelMissing: true);
        }

        return new Summary(read, imported, duplicates, rejected);
    }
}
