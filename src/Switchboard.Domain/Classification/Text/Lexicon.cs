using System.Collections.Frozen;

namespace Switchboard.Classification.Text;

// A frozen word table with an allocation-free look-up by span. Built once from the project's own word lists.
internal sealed class Lexicon<T>
{
    private readonly FrozenDictionary<string, T> map;
    private readonly FrozenDictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public Lexicon(IEnumerable<KeyValuePair<string, T>> entries)
    {
        var d = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (k, v) in entries)
        {
            // Later lists refine earlier ones: the last assignment wins, so word lists can be layered.
            d[k] = v;
        }

        map = d.ToFrozenDictionary(StringComparer.Ordinal);
        lookup = map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => map.Count;

    public IEnumerable<KeyValuePair<string, T>> Entries => map;

    public bool TryGet(ReadOnlySpan<char> key, out T value) => lookup.TryGetValue(key, out value!);

    public bool Contains(ReadOnlySpan<char> key) => lookup.ContainsKey(key);

    // Splits a whitespace-separated word list; multi-word phrases are written with '_' for the space.
    public static IEnumerable<string> Words(string list)
    {
        foreach (var w in list.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            yield return w.Replace('_', ' ');
        }
    }
}
