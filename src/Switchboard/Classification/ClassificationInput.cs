using System.Text;
using Switchboard.Posts;

namespace Switchboard.Classification;

// The one place the classification commands read a post file: strict UTF-8 (invalid bytes are an error, not
// silently replaced characters that would train a model on garbage), records with errors reported by line, and
// a label column that no record has refused.
internal static class ClassificationInput
{
    internal sealed record Item(long Line, Post Post, string? Label);

    internal sealed class InputException(string message) : Exception(message);

    // Yields good records; reports bad ones to stderr (the first 20, then a count) and keeps going. Throws
    // InputException for problems that make the whole file unusable.
    public static IEnumerable<Item> Read(TextReader reader, string? textColumn, string? labelColumn, TextWriter stderr,
        Action<int>? onErrors = null)
    {
        var errors = 0;
        var first = true;
        IEnumerator<PostRecord> e;
        try
        {
            // PostFiles.Read peeks at the first character to detect the format, so decoding starts here.
            e = PostFiles.Read(reader, new PostReadOptions(TextColumn: textColumn)).GetEnumerator();
        }
        catch (DecoderFallbackException)
        {
            throw new InputException("the input is not valid UTF-8 (in its first few kilobytes)");
        }

        using var records = e;
        long lastLine = 0;
        var labelSeen = false;
        List<string>? firstWithoutLabel = null;
        while (true)
        {
            PostRecord r;
            try
            {
                if (!e.MoveNext())
                {
                    break;
                }

                r = e.Current;
            }
            catch (DecoderFallbackException)
            {
                throw new InputException($"the input is not valid UTF-8 (after line {lastLine}, in the next few kilobytes)");
            }

            lastLine = r.Line;
            if (r.Error is null && labelColumn is not null)
            {
                if (r.Fields.ContainsKey(labelColumn))
                {
                    labelSeen = true;
                }
                else
                {
                    firstWithoutLabel ??= r.Fields.Keys.ToList();
                }
            }

            if (first && r.Error is not null && r.Post is null && r.Line <= 1 && r.Fields.Count == 0
                && r.Error.Contains("column", StringComparison.OrdinalIgnoreCase))
            {
                // A header problem (e.g. no text column) makes every row unreadable.
                throw new InputException(r.Error);
            }

            first = false;
            if (r.Error is not null || r.Post is null)
            {
                errors++;
                onErrors?.Invoke(errors);
                if (errors <= 20)
                {
                    stderr.WriteLine($"skipped: {r.Error}");
                }

                continue;
            }

            string? label = null;
            if (labelColumn is not null)
            {
                r.Fields.TryGetValue(labelColumn, out label);
            }

            yield return new Item(r.Line, r.Post, label);
        }

        if (errors > 20)
        {
            stderr.WriteLine($"skipped {errors} records with errors in total");
        }

        // Judged at the end, not on the first record: a JSONL line may leave the label out (an unlabelled post, like
        // an empty CSV cell), so only a file where no record has it names the wrong column. The callers collect all
        // items before acting, so nothing is trained or evaluated before this is known.
        if (labelColumn is not null && !labelSeen && firstWithoutLabel is not null)
        {
            throw new InputException(
                $"the input has no '{labelColumn}' column (columns: {string.Join(", ", firstWithoutLabel)})");
        }
    }

    public static StreamReader Open(FileInfo file) =>
        new(file.FullName, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true),
            detectEncodingFromByteOrderMarks: true);

    /// <summary>
    /// The labelled examples of a train or eval input file, or null after writing why there are none to stderr (a
    /// missing file, or "error: FILE: reason" for one that cannot be read).
    /// </summary>
    public static (List<Training.LabeledText> Examples, int EmptyLabels)? ReadExamples(FileInfo input, string? textColumn, string labelColumn,
        TextWriter stderr)
    {
        if (Hosting.CliFiles.InputProblem(input, "input file") is { } problem)
        {
            stderr.WriteLine("error: " + problem);
            return null;
        }

        try
        {
            using var reader = Open(input);
            return ReadExamples(reader, textColumn, labelColumn, stderr);
        }
        catch (InputException e)
        {
            stderr.WriteLine($"error: {input.Name}: {e.Message}");
            return null;
        }
    }

    // Reads labelled examples for train/eval; rows whose label is empty are not examples of any class.
    public static (List<Training.LabeledText> Examples, int EmptyLabels) ReadExamples(TextReader reader,
        string? textColumn, string labelColumn, TextWriter stderr)
    {
        var examples = new List<Training.LabeledText>();
        var empty = 0;
        foreach (var item in Read(reader, textColumn, labelColumn, stderr))
        {
            if (string.IsNullOrWhiteSpace(item.Label))
            {
                empty++;
                continue;
            }

            examples.Add(new Training.LabeledText(item.Post.Text, item.Label.Trim()));
        }

        return (examples, empty);
    }
}
