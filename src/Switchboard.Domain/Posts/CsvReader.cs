using System.Text;

namespace Switchboard.Posts;

/// <summary>
/// A streaming RFC 4180 reader that remembers the physical line each record starts on, so that every error can
/// name its line. Quoted fields may hold commas, doubled quotes and line breaks (the airline data has newlines in
/// quoted text; twcs has a bare "\r\r" in an unquoted field). The first record decides the file's line ending: after
/// a "\n" or "\r\n" header a lone "\r" is text, as in the files pandas writes; only a file whose header ends in a lone
/// "\r" (classic Mac) uses "\r" as the record separator.
/// </summary>
internal sealed class CsvReader(TextReader reader, int maxFieldLength = CsvReader.DefaultMaxFieldLength)
{
    /// <summary>Generous for social posts, small enough that a runaway quote cannot eat the heap.</summary>
    public const int DefaultMaxFieldLength = 1 << 20;

    private readonly StringBuilder _field = new();
    private long _line = 1;
    private bool _eof;
    private bool? _loneCrEndsRecord;

    /// <summary>Reads the next record, or returns false at the end of input.</summary>
    /// <param name="fields">The record's fields.</param>
    /// <param name="startLine">The 1-based physical line where the record begins.</param>
    /// <param name="error">Set when the record is malformed; the reader has skipped past it.</param>
    public bool TryRead(out List<string> fields, out long startLine, out string? error)
    {
        fields = [];
        error = null;
        startLine = _line;
        if (_eof)
        {
            return false;
        }

        _field.Clear();
        var inQuotes = false;
        var fieldWasQuoted = false;
        var any = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                _eof = true;
                if (inQuotes)
                {
                    error = $"line {startLine}: unterminated quoted field (the quote opened here is never closed)";
                    fields.Add(_field.ToString());
                    return true;
                }

                if (!any && fields.Count == 0 && _field.Length == 0)
                {
                    return false;
                }

                fields.Add(_field.ToString());
                return true;
            }

            any = true;
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else
                {
                    if (ch == '\n' || (ch == '\r' && reader.Peek() != '\n'))
                    {
                        _line++;
                    }

                    Append(ch, ref error, startLine);
                }

                continue;
            }

            switch (ch)
            {
                case ',':
                    fields.Add(_field.ToString());
                    _field.Clear();
                    fieldWasQuoted = false;
                    break;
                case '\r' when reader.Peek() == '\n':
                    reader.Read();
                    _loneCrEndsRecord ??= false;
                    _line++;
                    fields.Add(_field.ToString());
                    return true;
                case '\r' when _loneCrEndsRecord ?? true:
                    _loneCrEndsRecord ??= true;
                    _line++;
                    fields.Add(_field.ToString());
                    return true;
                case '\n':
                    _loneCrEndsRecord ??= false;
                    _line++;
                    fields.Add(_field.ToString());
                    return true;
                case '"' when _field.Length == 0 && !fieldWasQuoted:
                    inQuotes = true;
                    fieldWasQuoted = true;
                    break;
                default:
                    // A stray quote inside an unquoted field is kept as text: lenient, like most spreadsheet tools.
                    Append(ch, ref error, startLine);
                    break;
            }
        }
    }

    private void Append(char ch, ref string? error, long startLine)
    {
        if (_field.Length >= maxFieldLength)
        {
            error ??= $"line {startLine}: a field is longer than {maxFieldLength} characters";
            return;
        }

        _field.Append(ch);
    }
}
