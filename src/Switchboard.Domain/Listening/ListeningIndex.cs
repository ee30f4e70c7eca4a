using System.Runtime.InteropServices;

namespace Switchboard.Listening;

/// <summary>
/// All active listening queries compiled for matching one post at a time, fast.
/// <para>
/// Every query is indexed under a few <em>anchor</em> atoms (an atom is an exact term key like <c>acme</c> or
/// <c>#acme</c>, a wildcard prefix, or a field value like <c>lang:en</c>): a set such that every post the query
/// matches contains at least one of them. A post is tokenized once; each of its tokens is looked up once in a
/// dictionary of all atoms (wildcard prefixes through a 3-character gate), and only the queries anchored on atoms
/// the post contains are evaluated. Among the atoms a query requires, the rarest is the anchor (a priori by word
/// length and a list of common words, then by the document frequency this index observes), and the next rarest
/// required atom is checked before evaluating, so queries leaning on common words cost little on posts that miss
/// their rarer part. Queries with the same canonical form are evaluated once.
/// </para>
/// <para>
/// <see cref="Upsert"/> and <see cref="Remove"/> change one query without rebuilding anything. Not thread-safe:
/// matching updates frequency counters and reuses buffers; give each thread its own index or serialize calls.
/// </para>
/// </summary>
public sealed class ListeningIndex
{
    private const char FieldLang = 'l';
    private const char FieldChannel = 'c';
    private const char FieldAuthor = 'a';
    private const char FieldSite = 's';
    private const int MinObservations = 1000;

    private static readonly HashSet<string> CommonWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "and", "or", "not", "to", "of", "in", "on", "at", "for", "with", "from", "by", "is", "are",
        "was", "were", "be", "been", "am", "i", "you", "he", "she", "it", "we", "they", "me", "my", "your", "our",
        "their", "this", "that", "these", "those", "have", "has", "had", "do", "does", "did", "will", "would", "can",
        "could", "should", "just", "so", "but", "if", "no", "yes", "all", "get", "got", "what", "when", "how", "why",
        "who", "there", "here", "out", "up", "about", "as", "s", "t", "m", "im", "dont", "its", "please", "thanks",
        "thank", "now", "one", "like", "u", "us", "amp", "http", "https", "co", "com", "www",
    };

    private readonly Dictionary<string, int> _terms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _termLookup;
    private readonly Dictionary<string, int> _prefixes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _prefixLookup;
    private readonly Dictionary<string, int> _fields = new(StringComparer.Ordinal);
    /// <summary>Field atoms per field letter, so a post skips the lookups for fields no query uses.</summary>
    private readonly int[] _fieldAtomsOfKind = new int[128];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _fieldLookup;
    /// <summary>First three characters (and sigil) of every wildcard prefix → how many prefixes share them.</summary>
    private readonly Dictionary<ulong, int> _prefixGate = [];
    /// <summary>
    /// Distinct gate keys per hashed bucket (build-time bookkeeping for <see cref="_gateBits"/>, which every token
    /// checks first: a bit test instead of a dictionary lookup, because most tokens start like no anchor prefix).
    /// </summary>
    private readonly Dictionary<int, int> _gateFilter = [];
    /// <summary>Non-zero buckets of <see cref="_gateFilter"/> as bits: 8 KB, so the per-token check stays in cache.</summary>
    private readonly ulong[] _gateBits = new ulong[(1 << 16) / 64];
    private int _maxPrefixLength;

    /// <summary>
    /// One bit per hash of every term text and wildcard prefix: most tokens of a post are in no query, and one bit
    /// test (on a hash the tokenizer already computed) skips them without a dictionary lookup.
    /// </summary>
    private ulong[] _bloom = new ulong[1 << 10];
    /// <summary>Bloom bit of a hash = (hash * golden) &gt;&gt; shift; the bloom has 2^(32 - shift) bits.</summary>
    private int _bloomShift = 16;
    private int _staleBloomBits;
    private int _eagerCount;

    private Atom?[] _atoms = new Atom?[256];
    private int _atomCount;
    private readonly Stack<int> _freeAtoms = new();

    private Group?[] _groups = new Group?[256];
    private int _groupCount;
    private readonly Stack<int> _freeGroups = new();
    private readonly Dictionary<string, int> _groupByCanonical = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _groupById = new(StringComparer.Ordinal);
    /// <summary>Groups with no anchor (only follower/verified conditions): evaluated on every post.</summary>
    private readonly List<int> _unanchored = [];

    // Per-post scratch, reused. An atom's positions in the current post are _positions[_slots[a].Start.._slots[a].End]
    // when _slots[a].Stamp == _stamp.
    private int _stamp;
    // Everything the per-post loop reads about an atom, in one 32-byte struct (one cache line), indexed by atom id.
    private AtomSlot[] _slots = new AtomSlot[256];
    private int[] _distinct = new int[64];
    private int _distinctCount;
    private long[] _hits = new long[256];
    private int _hitCount;
    private int[] _positions = new int[256];
    private int _lazyEnd;
    private PostDocument? _currentDoc;
    private int[] _groupStamp = new int[256];
    private char[] _keyBuffer = new char[128];
    private readonly MatchContext _context;

    private long _postsSeen;
    private long _nextRebalance = MinObservations;

    public ListeningIndex()
    {
        _termLookup = _terms.GetAlternateLookup<ReadOnlySpan<char>>();
        _prefixLookup = _prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        _fieldLookup = _fields.GetAlternateLookup<ReadOnlySpan<char>>();
        _context = new MatchContext(this);
    }

    /// <summary>Queries evaluated since creation (after anchor and filter): for benchmarks and diagnostics.</summary>
    internal long Evaluations { get; private set; }

    internal long PostingsScanned { get; private set; }

    internal long AtomsSeen { get; private set; }

    /// <summary>Number of query ids in the index.</summary>
    public int Count => _groupById.Count;

    /// <summary>Number of distinct queries evaluated (queries with the same canonical form share one).</summary>
    public int DistinctCount => _groupByCanonical.Count;

    public bool Contains(string id) => _groupById.ContainsKey(id);

    /// <summary>Adds the query under <paramref name="id"/>, replacing the query that id had.</summary>
    public void Upsert(string id, CompiledQuery query)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(query);
        Remove(id);
        if (!_groupByCanonical.TryGetValue(query.Canonical, out var slot))
        {
            slot = AddGroup(query);
        }

        _groups[slot]!.Ids.Add(id);
        _groupById[id] = slot;
    }

    /// <summary>Removes the query with this id; false when there was none.</summary>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_groupById.Remove(id, out var slot))
        {
            return false;
        }

        var group = _groups[slot]!;
        group.Ids.Remove(id);
        if (group.Ids.Count == 0)
        {
            RemoveGroup(slot);
        }

        return true;
    }

    /// <summary>
    /// Appends to <paramref name="results"/> the id of every query matching the post, each once, in no particular
    /// order. Allocates nothing once the internal buffers have grown to the largest post seen.
    /// </summary>
    public void Match(PostDocument doc, List<string> results)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(results);
        NextStamp();
        _currentDoc = doc;
        CollectHits(doc);
        LayoutPositions();

        _postsSeen++;
        AtomsSeen += _distinctCount;
        var ctx = _context;
        ctx.Doc = doc;
        for (var d = 0; d < _distinctCount; d++)
        {
            var a = _distinct[d];
            ref var atomSlot = ref _slots[a];
            if (atomSlot.EagerRefs > 0)
            {
                atomSlot.DocCount++;
            }

            var count = atomSlot.PostingCount;
            if (count == 0)
            {
                continue;
            }

            var postings = _slots[a].Postings!;
            PostingsScanned += count;
            for (var i = 0; i < count; i++)
            {
                // The posting carries what is needed to skip a candidate without touching the group: its filter
                // atom, and whether other anchors may have reached it already in this post.
                ref readonly var posting = ref postings[i];
                var slot = posting.Slot;
                if (posting.SharedAnchor)
                {
                    if (_groupStamp[slot] == _stamp)
                    {
                        continue;
                    }

                    _groupStamp[slot] = _stamp;
                }

                if (posting.Filter >= 0 && !Present(posting.Filter))
                {
                    continue;
                }

                var group = _groups[slot]!;
                Evaluations++;
                if (group.Root.Eval(ctx))
                {
                    results.AddRange(group.Ids);
                }
            }
        }

        foreach (var slot in _unanchored)
        {
            var group = _groups[slot]!;
            if (group.Root.Eval(ctx))
            {
                results.AddRange(group.Ids);
            }
        }

        ctx.Doc = null;
        _currentDoc = null;
        if (_postsSeen >= _nextRebalance)
        {
            Rebalance();
        }
    }

    /// <summary>Convenience: the sorted ids of the queries matching the post.</summary>
    public List<string> Match(PostDocument doc)
    {
        var results = new List<string>();
        Match(doc, results);
        results.Sort(StringComparer.Ordinal);
        return results;
    }

    private void NextStamp()
    {
        if (++_stamp == int.MaxValue)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                _slots[i].Stamp = 0;
            }

            Array.Clear(_groupStamp);
            _stamp = 1;
        }
    }

    // ---- per-post hit collection ----

    private void CollectHits(PostDocument doc)
    {
        _distinctCount = 0;
        _hitCount = 0;
        var tokens = doc.Tokens;
        var chars = tokens.Chars;
        var bloom = _bloom;
        var shift = _bloomShift;
        var checkPrefixes = _prefixGate.Count > 0;
        for (var p = 0; p < tokens.Count; p++)
        {
            ref readonly var t = ref tokens.Tokens[p];
            var bit = BloomBit(t.Hash, shift);
            if ((bloom[bit >> 6] & (1UL << (int)bit)) != 0)
            {
                if (t.Kind != TokenKind.Mention)
                {
                    LookupTerm(new ReadOnlySpan<char>(chars, t.Start, t.Length), p);
                }

                if (t.Kind is TokenKind.Hashtag or TokenKind.Mention)
                {
                    LookupTerm(new ReadOnlySpan<char>(chars, t.Start - 1, t.Length + 1), p);
                }
            }

            if (checkPrefixes && t.Kind != TokenKind.Emoji && t.Length >= QueryParser.MinWildcardPrefix)
            {
                if (t.Kind != TokenKind.Mention)
                {
                    LookupPrefixes(chars, t.Start, t.Length, 0, p);
                }

                if (t.Kind != TokenKind.Word)
                {
                    LookupPrefixes(chars, t.Start, t.Length, t.Kind == TokenKind.Hashtag ? 1 : 2, p);
                }
            }
        }

        if (_fields.Count > 0)
        {
            CollectFieldHits(doc);
        }
    }

    private void LookupTerm(ReadOnlySpan<char> key, int position)
    {
        if (_termLookup.TryGetValue(key, out var atom))
        {
            AddHit(atom, position);
        }
    }

    /// <summary>
    /// Wildcard prefixes the token starts with: a gate on its first three characters, then the running hash of
    /// each longer prefix against the bloom bits, and a dictionary lookup only for prefixes that pass both.
    /// </summary>
    private void LookupPrefixes(char[] chars, int start, int length, int sigil, int position)
    {
        var bucket = GateBucket(GateKey(sigil, chars[start], chars[start + 1], chars[start + 2]));
        if ((_gateBits[bucket >> 6] & (1UL << bucket)) == 0)
        {
            return;
        }

        var offset = sigil == 0 ? 0 : 1;
        var max = Math.Min(length, _maxPrefixLength);
        var h = SeedOf(sigil);
        for (var i = 0; i < max; i++)
        {
            h = TextHash.Step(h, chars[start + i]);
            if (i + 1 < QueryParser.MinWildcardPrefix)
            {
                continue;
            }

            var bit = BloomBit(h, _bloomShift);
            if ((_bloom[bit >> 6] & (1UL << (int)bit)) != 0
                && _prefixLookup.TryGetValue(new ReadOnlySpan<char>(chars, start - offset, i + 1 + offset), out var atom))
            {
                AddHit(atom, position);
            }
        }
    }

    private static uint SeedOf(int sigil) => sigil switch { 1 => TextHash.HashtagSeed, 2 => TextHash.MentionSeed, _ => TextHash.Seed };

    private static uint BloomBit(uint hash, int shift) => (hash * 0x9E3779B1u) >> shift;

    /// <summary>Sets the bloom bit of a term (its text without sigil) or wildcard prefix (hashed with its scope's seed).</summary>
    private void SetBloom(Atom atom)
    {
        uint hash;
        if (atom.IsPrefix)
        {
            var sigil = atom.Key[0] switch { '#' => 1, '@' => 2, _ => 0 };
            hash = TextHash.Of(atom.Key.AsSpan(sigil == 0 ? 0 : 1), SeedOf(sigil));
        }
        else
        {
            hash = TextHash.Of(atom.Key.AsSpan(atom.Key[0] is '#' or '@' ? 1 : 0));
        }

        var bit = BloomBit(hash, _bloomShift);
        _bloom[bit >> 6] |= 1UL << (int)bit;
    }

    /// <summary>
    /// Keeps about 16 bits per term/prefix atom (a few percent of false positives), rebuilt when the atoms outgrow
    /// it or when removed atoms left too many stale bits (bits are never cleared one by one: they may be shared).
    /// </summary>
    private void MaybeRebuildBloom(bool force)
    {
        var live = _eagerCount;
        var bits = 1 << (32 - _bloomShift);
        if (!force && live * 16 <= bits && _staleBloomBits <= Math.Max(1024, live))
        {
            return;
        }

        var shift = 32 - 16;
        while ((1L << (32 - shift)) < live * 16L && shift > 8)
        {
            shift--;
        }

        _bloomShift = shift;
        _bloom = new ulong[Math.Max(1, (1 << (32 - shift)) / 64)];
        _staleBloomBits = 0;
        for (var a = 0; a < _atomCount; a++)
        {
            if (_atoms[a] is { Field: false } atom && _slots[a].EagerRefs > 0)
            {
                SetBloom(atom);
            }
        }
    }

    private static int GateBucket(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 48);

    private static ulong GateKey(int sigil, char c0, char c1, char c2) => ((ulong)sigil << 48) | ((ulong)c0 << 32) | ((ulong)c1 << 16) | c2;

    private void CollectFieldHits(PostDocument doc)
    {
        if (doc.Lang is { } lang && _fieldAtomsOfKind[FieldLang] > 0)
        {
            LookupField(FieldLang, lang);
            var dash = lang.AsSpan().IndexOfAny('-', '_');
            if (dash > 0)
            {
                LookupField(FieldLang, lang.AsSpan(0, dash));
            }
        }

        if (doc.Channel is { } channel && _fieldAtomsOfKind[FieldChannel] > 0)
        {
            LookupField(FieldChannel, channel);
        }

        if (doc.AuthorHandle is { } handle && _fieldAtomsOfKind[FieldAuthor] > 0)
        {
            LookupField(FieldAuthor, handle);
        }

        if (_fieldAtomsOfKind[FieldSite] == 0)
        {
            return;
        }

        foreach (var host in doc.Tokens.Hosts)
        {
            // Every suffix at a dot: "a.example.com" gives "a.example.com", "example.com" and "com", so a
            // site: value anchors on exactly the hosts it accepts.
            var span = host.AsSpan();
            while (true)
            {
                LookupField(FieldSite, span);
                var dot = span.IndexOf('.');
                if (dot < 0)
                {
                    break;
                }

                span = span[(dot + 1)..];
            }
        }
    }

    private void LookupField(char field, ReadOnlySpan<char> value)
    {
        if (value.Length + 2 > _keyBuffer.Length)
        {
            _keyBuffer = new char[value.Length + 2];
        }

        _keyBuffer[0] = field;
        _keyBuffer[1] = ':';
        value.CopyTo(_keyBuffer.AsSpan(2));
        if (_fieldLookup.TryGetValue(new ReadOnlySpan<char>(_keyBuffer, 0, value.Length + 2), out var atom))
        {
            AddHit(atom, -1);
        }
    }

    private void AddHit(int atom, int position)
    {
        if (_slots[atom].Stamp != _stamp)
        {
            _slots[atom].Stamp = _stamp;
            _slots[atom].End = 0;
            if (_distinctCount == _distinct.Length)
            {
                Array.Resize(ref _distinct, _distinct.Length * 2);
            }

            _distinct[_distinctCount++] = atom;
        }

        // _atomEnd counts hits until LayoutPositions turns counts into offsets.
        _slots[atom].End++;
        if (_hitCount == _hits.Length)
        {
            Array.Resize(ref _hits, _hits.Length * 2);
        }

        _hits[_hitCount++] = ((long)atom << 32) | (uint)position;
    }

    private void LayoutPositions()
    {
        if (_positions.Length < _hitCount)
        {
            _positions = new int[Math.Max(_hitCount, _positions.Length * 2)];
        }

        var offset = 0;
        for (var d = 0; d < _distinctCount; d++)
        {
            var a = _distinct[d];
            var count = _slots[a].End;
            _slots[a].Start = offset;
            _slots[a].End = offset;
            offset += count;
        }

        _lazyEnd = _hitCount;
        // Hits arrive in token order, so each atom's positions come out sorted.
        for (var h = 0; h < _hitCount; h++)
        {
            var hit = _hits[h];
            var a = (int)(hit >> 32);
            _positions[_slots[a].End++] = (int)hit;
        }
    }

    internal ReadOnlySpan<int> Positions(int atom)
    {
        ref var slot = ref _slots[atom];
        if (slot.Stamp != _stamp)
        {
            ResolveLazily(atom);
        }

        return new ReadOnlySpan<int>(_positions, slot.Start, slot.End - slot.Start);
    }

    internal bool Present(int atom)
    {
        ref var slot = ref _slots[atom];
        if (slot.Stamp != _stamp)
        {
            ResolveLazily(atom);
        }

        return slot.End > slot.Start;
    }

    /// <summary>
    /// Finds a non-eager atom's positions by scanning the post's tokens. Only eager atoms (anchors) are
    /// looked up for every post; the others are needed only when a candidate query is evaluated, which is rare, so
    /// a token scan then costs less than a dictionary lookup for every token of every post.
    /// </summary>
    private void ResolveLazily(int id)
    {
        ref var slot = ref _slots[id];
        slot.Stamp = _stamp;
        slot.Start = _lazyEnd;
        slot.End = _lazyEnd;
        var atom = _atoms[id]!;
        if (slot.EagerRefs > 0 || atom.Field)
        {
            // Eager and field atoms were all looked up already: not found means absent.
            return;
        }

        var tokens = _currentDoc!.Tokens;
        var chars = tokens.Chars;
        if (_positions.Length < _lazyEnd + tokens.Count)
        {
            Array.Resize(ref _positions, Math.Max(_positions.Length * 2, _lazyEnd + tokens.Count));
        }

        var text = atom.Text.AsSpan();
        for (var p = 0; p < tokens.Count; p++)
        {
            ref readonly var t = ref tokens.Tokens[p];
            if (!QueryNode.ScopeAccepts(atom.Scope, t.Kind))
            {
                continue;
            }

            var hit = atom.IsPrefix
                ? t.Kind != TokenKind.Emoji && t.Length >= text.Length && new ReadOnlySpan<char>(chars, t.Start, text.Length).SequenceEqual(text)
                : t.Hash == atom.Hash && new ReadOnlySpan<char>(chars, t.Start, t.Length).SequenceEqual(text);
            if (hit)
            {
                _positions[_lazyEnd++] = p;
            }
        }

        slot.End = _lazyEnd;
    }

    // ---- building ----

    private int AddGroup(CompiledQuery query)
    {
        var atoms = new List<int>();
        var root = Compile(query.Root, atoms);
        var slot = _freeGroups.Count > 0 ? _freeGroups.Pop() : _groupCount++;
        if (slot >= _groups.Length)
        {
            Array.Resize(ref _groups, _groups.Length * 2);
            Array.Resize(ref _groupStamp, _groups.Length);
        }

        var group = new Group(query.Canonical, root, [.. atoms]);
        _groups[slot] = group;
        _groupStamp[slot] = 0;
        _groupByCanonical[query.Canonical] = slot;
        Anchor(slot, group);
        return slot;
    }

    private void RemoveGroup(int slot)
    {
        var group = _groups[slot]!;
        Unanchor(slot, group);
        _groupByCanonical.Remove(group.Canonical);
        foreach (var a in group.Atoms)
        {
            ReleaseAtom(a);
        }

        _groups[slot] = null;
        _freeGroups.Push(slot);
    }

    private void Anchor(int slot, Group group)
    {
        var anchors = AnchorsOf(group.Root);
        if (anchors is null)
        {
            group.Anchors = [];
            group.Filter = -1;
            _unanchored.Add(slot);
            return;
        }

        group.Anchors = [.. anchors.Value.Atoms.Distinct()];
        var required = new List<int>();
        RequiredOf(group.Root, required);
        var filter = -1;
        var best = double.MaxValue;
        foreach (var r in required)
        {
            if (!group.Anchors.Contains(r) && Probability(r) < best)
            {
                best = Probability(r);
                filter = r;
            }
        }

        group.Filter = filter;
        foreach (var a in group.Anchors)
        {
            AddPosting(a, new Posting(slot, filter, group.Anchors.Length > 1));
            AddEager(a);
        }
    }

    private void Unanchor(int slot, Group group)
    {
        if (group.Anchors.Length == 0)
        {
            _unanchored.Remove(slot);
        }

        foreach (var a in group.Anchors)
        {
            RemovePosting(a, slot);
            RemoveEager(a);
        }

        group.Anchors = [];
        group.Filter = -1;
    }

    /// <summary>Cheapest set of atoms such that every matching post contains one; null if there is none.</summary>
    private (List<int> Atoms, double Cost)? AnchorsOf(Plan plan)
    {
        switch (plan)
        {
            case AtomPlan a:
                return ([a.Atom], Probability(a.Atom));
            case FieldPlan f:
                return f.Atom < 0 ? null : ([f.Atom], Probability(f.Atom));
            case PhrasePlan p:
                {
                    var best = p.Atoms[0];
                    foreach (var a in p.Atoms)
                    {
                        if (Probability(a) < Probability(best))
                        {
                            best = a;
                        }
                    }

                    return ([best], Probability(best));
                }

            case NearPlan n:
                return Cheapest([n.Left, n.Right]);
            case AndPlan a:
                return Cheapest(a.Children);
            case OrPlan o:
                {
                    var all = new List<int>();
                    var cost = 0.0;
                    foreach (var c in o.Children)
                    {
                        var sub = AnchorsOf(c);
                        if (sub is null)
                        {
                            return null;
                        }

                        all.AddRange(sub.Value.Atoms);
                        cost += sub.Value.Cost;
                    }

                    return (all, cost);
                }

            default:
                return null;
        }
    }

    private (List<int> Atoms, double Cost)? Cheapest(IReadOnlyList<Plan> required)
    {
        (List<int> Atoms, double Cost)? best = null;
        foreach (var c in required)
        {
            var sub = AnchorsOf(c);
            if (sub is not null && (best is null || sub.Value.Cost < best.Value.Cost))
            {
                best = sub;
            }
        }

        return best;
    }

    /// <summary>Atoms present in every post the plan matches.</summary>
    private static void RequiredOf(Plan plan, List<int> into)
    {
        switch (plan)
        {
            case AtomPlan a:
                into.Add(a.Atom);
                break;
            case FieldPlan { Atom: >= 0 } f:
                into.Add(f.Atom);
                break;
            case PhrasePlan p:
                into.AddRange(p.Atoms);
                break;
            case NearPlan n:
                RequiredOf(n.Left, into);
                RequiredOf(n.Right, into);
                break;
            case AndPlan a:
                foreach (var c in a.Children)
                {
                    RequiredOf(c, into);
                }

                break;
        }
    }

    /// <summary>Estimated share of posts containing the atom: observed once enough posts were seen, else a prior.</summary>
    private double Probability(int atomId)
    {
        var atom = _atoms[atomId]!;
        // Frequencies are observed only while an atom is eager (looked up in every post); what was learned then is
        // kept when it stops being eager, so a frequent word does not look rare again.
        var observed = atom.ObservedPosts + (_slots[atomId].EagerRefs > 0 ? _postsSeen - atom.EagerSince : 0);
        if (observed < MinObservations)
        {
            return atom.Prior;
        }

        // A little of the prior keeps never-seen atoms ordered by how rare they are likely to be.
        return (_slots[atomId].DocCount + (atom.Prior * 20)) / (observed + 20);
    }

    /// <summary>
    /// Re-anchors the queries anchored on atoms that turned out much more frequent than estimated when they were
    /// chosen. Cost: one pass over the atoms plus the postings of those atoms, so it runs rarely (doubling interval
    /// up to every 65,536 posts).
    /// </summary>
    private void Rebalance()
    {
        _nextRebalance = _postsSeen + Math.Min(65536, Math.Max(MinObservations, _postsSeen));
        var moved = new HashSet<int>();
        for (var a = 0; a < _atomCount; a++)
        {
            var atom = _atoms[a];
            if (atom is null || _slots[a].PostingCount == 0)
            {
                continue;
            }

            var p = Probability(a);
            if (p > atom.CheckedProbability * 2 && p > 0.001)
            {
                atom.CheckedProbability = p;
                for (var i = 0; i < _slots[a].PostingCount; i++)
                {
                    moved.Add(_slots[a].Postings![i].Slot);
                }
            }
        }

        foreach (var slot in moved)
        {
            var group = _groups[slot]!;
            Unanchor(slot, group);
            Anchor(slot, group);
        }
    }

    // ---- compiling a query tree into a plan over atom ids ----

    private Plan Compile(QueryNode node, List<int> atoms)
    {
        switch (node)
        {
            case TermNode t:
                {
                    var a = AcquireAtom(_terms, t.Key, TermPrior(t), 0);
                    atoms.Add(a);
                    return new AtomPlan(a);
                }

            case WildcardNode w:
                {
                    var a = AcquirePrefix(w);
                    atoms.Add(a);
                    return new AtomPlan(a);
                }

            case PhraseNode p:
                return new PhrasePlan([.. p.Elements.Select(e => ((AtomPlan)Compile(e, atoms)).Atom)]);
            case AndNode a:
                // Cheap, selective children first: fields and single atoms before phrases and NEARs.
                return new AndPlan([.. a.Children.Select(c => Compile(c, atoms)).OrderBy(c => c.Weight)]);
            case OrNode o:
                return new OrPlan([.. o.Children.Select(c => Compile(c, atoms)).OrderBy(c => c.Weight)]);
            case NotNode n:
                return new NotPlan(Compile(n.Operand, atoms));
            case NearNode n:
                return new NearPlan(Compile(n.Left, atoms), Compile(n.Right, atoms), n.Distance, n.Ordered);
            case FieldNode f:
                {
                    var key = FieldKey(f);
                    var atom = -1;
                    if (key is not null)
                    {
                        atom = AcquireAtom(_fields, key, f.Field is QueryField.Author or QueryField.Site ? 0.01 : 0.5, 0);
                        atoms.Add(atom);
                    }

                    return new FieldPlan(f, atom);
                }

            default:
                throw new InvalidOperationException("unknown node " + node.GetType().Name);
        }
    }

    private static string? FieldKey(FieldNode f) => f.Field switch
    {
        QueryField.Lang => FieldLang + ":" + f.Value,
        QueryField.Channel => FieldChannel + ":" + f.Value,
        QueryField.Author => FieldAuthor + ":" + f.Value,
        QueryField.Site => FieldSite + ":" + f.Value,
        _ => null,
    };

    private static double TermPrior(TermNode t)
    {
        if (t.Scope != TermScope.Any)
        {
            return 0.002;
        }

        if (CommonWords.Contains(t.Text))
        {
            return 0.1;
        }

        return t.Text.Length switch
        {
            <= 2 => 0.02,
            3 => 0.01,
            4 => 0.005,
            _ => 0.002,
        };
    }

    private int AcquirePrefix(WildcardNode w)
    {
        return AcquireAtom(_prefixes, w.Key, w.Prefix.Length switch { 3 => 0.05, 4 => 0.02, _ => 0.01 }, GateOf(w));
    }

    private static ulong GateOf(WildcardNode w) =>
        GateKey(w.Scope switch { TermScope.Hashtag => 1, TermScope.Mention => 2, _ => 0 }, w.Prefix[0], w.Prefix[1], w.Prefix[2]);

    private int AcquireAtom(Dictionary<string, int> dictionary, string key, double prior, ulong gate)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(dictionary, key, out var exists);
        if (exists)
        {
            _atoms[slot]!.RefCount++;
            return slot;
        }

        var id = _freeAtoms.Count > 0 ? _freeAtoms.Pop() : _atomCount++;
        if (id >= _atoms.Length)
        {
            var size = _atoms.Length * 2;
            Array.Resize(ref _atoms, size);
            Array.Resize(ref _slots, size);
        }

        _atoms[id] = new Atom(key, dictionary, prior, _postsSeen, gate, ReferenceEquals(dictionary, _prefixes), ReferenceEquals(dictionary, _fields));
        _slots[id] = default;
        if (ReferenceEquals(dictionary, _fields))
        {
            _fieldAtomsOfKind[key[0]]++;
        }

        slot = id;
        return id;
    }

    private void ReleaseAtom(int id)
    {
        var atom = _atoms[id]!;
        if (--atom.RefCount > 0)
        {
            return;
        }

        atom.Dictionary.Remove(atom.Key);
        if (ReferenceEquals(atom.Dictionary, _fields))
        {
            _fieldAtomsOfKind[atom.Key[0]]--;
        }

        _atoms[id] = null;
        _freeAtoms.Push(id);
    }

    /// <summary>An atom is eager (looked up in every post, its bloom bit set) while some group anchors on it.</summary>
    private void AddEager(int id)
    {
        if (_slots[id].EagerRefs++ > 0)
        {
            return;
        }

        var atom = _atoms[id]!;
        atom.EagerSince = _postsSeen;
        if (!atom.Field)
        {
            _eagerCount++;
            SetBloom(atom);
            MaybeRebuildBloom(false);
        }

        if (atom.IsPrefix)
        {
            // Only eager prefixes pass the gate: the others are found by the lazy scan when a candidate needs them.
            var shared = _prefixGate.GetValueOrDefault(atom.Gate);
            _prefixGate[atom.Gate] = shared + 1;
            if (shared == 0)
            {
                var bucket = GateBucket(atom.Gate);
                var inBucket = _gateFilter.GetValueOrDefault(bucket);
                _gateFilter[bucket] = inBucket + 1;
                _gateBits[bucket >> 6] |= 1UL << bucket;
            }

            _maxPrefixLength = Math.Max(_maxPrefixLength, atom.Text.Length);
        }
    }

    private void RemoveEager(int id)
    {
        if (--_slots[id].EagerRefs > 0)
        {
            return;
        }

        var atom = _atoms[id]!;
        atom.ObservedPosts += _postsSeen - atom.EagerSince;
        if (!atom.Field)
        {
            _eagerCount--;
            _staleBloomBits++;
            MaybeRebuildBloom(false);
        }

        if (atom.IsPrefix && --_prefixGate[atom.Gate] == 0)
        {
            _prefixGate.Remove(atom.Gate);
            var bucket = GateBucket(atom.Gate);
            if (--_gateFilter[bucket] == 0)
            {
                _gateFilter.Remove(bucket);
                _gateBits[bucket >> 6] &= ~(1UL << bucket);
            }
        }
    }

    private void AddPosting(int atom, Posting posting)
    {
        ref var postings = ref _slots[atom].Postings;
        postings ??= new Posting[1];
        if (_slots[atom].PostingCount == postings.Length)
        {
            Array.Resize(ref postings, postings.Length * 2);
        }

        postings[_slots[atom].PostingCount++] = posting;
    }

    private void RemovePosting(int atom, int slot)
    {
        var postings = _slots[atom].Postings!;
        var i = 0;
        while (i < _slots[atom].PostingCount && postings[i].Slot != slot)
        {
            i++;
        }

        if (i < _slots[atom].PostingCount)
        {
            postings[i] = postings[--_slots[atom].PostingCount];
            if (_slots[atom].PostingCount == 0)
            {
                _slots[atom].Postings = null;
            }
        }
    }

    private sealed class Atom(string key, Dictionary<string, int> dictionary, double prior, long seenSince, ulong gate, bool isPrefix, bool fieldDictionary)
    {
        public readonly bool IsPrefix = isPrefix;
        /// <summary>For wildcard prefixes: their key in the 3-character gate.</summary>
        public readonly ulong Gate = gate;
        public readonly string Key = key;
        public readonly Dictionary<string, int> Dictionary = dictionary;
        public readonly double Prior = prior;
        public long ObservedPosts;
        public long EagerSince = seenSince;
        public readonly bool Field = fieldDictionary;
        /// <summary>The folded text without sigil (term) or the prefix without sigil and <c>*</c>.</summary>
        public readonly string Text = key.Length > 0 && key[0] is '#' or '@' ? key[1..] : key;
        public readonly TermScope Scope = key.Length > 0 ? key[0] switch { '#' => TermScope.Hashtag, '@' => TermScope.Mention, _ => TermScope.Any } : TermScope.Any;
        public readonly uint Hash = TextHash.Of(key.Length > 0 && key[0] is '#' or '@' ? key.AsSpan(1) : key);
        public double CheckedProbability = prior;
        public int RefCount = 1;
    }

    /// <param name="Slot">The group anchored here.</param>
    /// <param name="Filter">An atom the group requires besides its anchors (checked before evaluating), or -1.</param>
    /// <param name="SharedAnchor">The group has several anchors (an OR), so it may be reached twice in one post.</param>
    private readonly record struct Posting(int Slot, int Filter, bool SharedAnchor);

    private struct AtomSlot
    {
        /// <summary>Equals the index's stamp when the atom occurs in the current post.</summary>
        public int Stamp;
        /// <summary>The atom's positions in the current post: _positions[Start..End].</summary>
        public int Start;
        public int End;
        public int PostingCount;
        /// <summary>Posts seen containing the atom (document frequency, for anchor choice).</summary>
        public long DocCount;
        /// <summary>Group slots anchored on this atom.</summary>
        public Posting[]? Postings;
        /// <summary>Groups anchored on the atom: while positive it is looked up in every post.</summary>
        public int EagerRefs;
    }

    private sealed class Group(string canonical, Plan root, int[] atoms)
    {
        public readonly string Canonical = canonical;
        public readonly Plan Root = root;
        /// <summary>Every atom the plan references (one entry per leaf), released on removal.</summary>
        public readonly int[] Atoms = atoms;
        public readonly List<string> Ids = new(1);
        public int[] Anchors = [];
        public int Filter = -1;
    }

    /// <summary>What plans read while evaluating one post.</summary>
    internal sealed class MatchContext(ListeningIndex index)
    {
        public readonly ListeningIndex Index = index;
        public PostDocument? Doc;
        public readonly List<PositionSpan> Left = [];
        public readonly List<PositionSpan> Right = [];
    }
}
