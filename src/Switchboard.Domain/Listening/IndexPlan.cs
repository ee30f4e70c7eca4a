namespace Switchboard.Listening;

/// <summary>
/// A query compiled against one <see cref="ListeningIndex"/>: leaves refer to atom ids whose positions in the
/// current post the index has already gathered, so evaluation never compares strings.
/// </summary>
internal abstract class Plan
{
    /// <summary>Rough evaluation cost, to evaluate cheap children of AND/OR first.</summary>
    public abstract int Weight { get; }

    public abstract bool Eval(ListeningIndex.MatchContext ctx);

    /// <summary>Adds the position spans this (positional) plan matches; not necessarily sorted.</summary>
    public virtual void AddSpans(ListeningIndex.MatchContext ctx, List<PositionSpan> into) =>
        throw new InvalidOperationException(GetType().Name + " has no positions");
}

/// <summary>A term or wildcard: one atom.</summary>
internal sealed class AtomPlan(int atom) : Plan
{
    public int Atom { get; } = atom;
    public override int Weight => 1;
    public override bool Eval(ListeningIndex.MatchContext ctx) => ctx.Index.Present(Atom);

    public override void AddSpans(ListeningIndex.MatchContext ctx, List<PositionSpan> into)
    {
        foreach (var p in ctx.Index.Positions(Atom))
        {
            into.Add(new PositionSpan(p, p));
        }
    }
}

internal sealed class PhrasePlan(int[] atoms) : Plan
{
    public int[] Atoms { get; } = atoms;
    public override int Weight => 2;

    public override bool Eval(ListeningIndex.MatchContext ctx)
    {
        foreach (var a in Atoms)
        {
            if (!ctx.Index.Present(a))
            {
                return false;
            }
        }

        foreach (var p in ctx.Index.Positions(Atoms[0]))
        {
            if (MatchesAt(ctx, p))
            {
                return true;
            }
        }

        return false;
    }

    public override void AddSpans(ListeningIndex.MatchContext ctx, List<PositionSpan> into)
    {
        foreach (var p in ctx.Index.Positions(Atoms[0]))
        {
            if (MatchesAt(ctx, p))
            {
                into.Add(new PositionSpan(p, p + Atoms.Length - 1));
            }
        }
    }

    private bool MatchesAt(ListeningIndex.MatchContext ctx, int start)
    {
        for (var i = 1; i < Atoms.Length; i++)
        {
            if (ctx.Index.Positions(Atoms[i]).BinarySearch(start + i) < 0)
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class AndPlan(Plan[] children) : Plan
{
    public Plan[] Children { get; } = children;
    public override int Weight => 4;

    public override bool Eval(ListeningIndex.MatchContext ctx)
    {
        foreach (var c in Children)
        {
            if (!c.Eval(ctx))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class OrPlan(Plan[] children) : Plan
{
    public Plan[] Children { get; } = children;
    public override int Weight => 3;

    public override bool Eval(ListeningIndex.MatchContext ctx)
    {
        foreach (var c in Children)
        {
            if (c.Eval(ctx))
            {
                return true;
            }
        }

        return false;
    }

    public override void AddSpans(ListeningIndex.MatchContext ctx, List<PositionSpan> into)
    {
        foreach (var c in Children)
        {
            c.AddSpans(ctx, into);
        }
    }
}

internal sealed class NotPlan(Plan operand) : Plan
{
    public Plan Operand { get; } = operand;
    public override int Weight => 4;
    public override bool Eval(ListeningIndex.MatchContext ctx) => !Operand.Eval(ctx);
}

/// <summary>
/// A field condition. Lang, channel, author and site are decided by whether their atom is present (the index
/// emits exactly the atoms a post satisfies); followers and verified read the document.
/// </summary>
internal sealed class FieldPlan(FieldNode field, int atom) : Plan
{
    public FieldNode Field { get; } = field;
    public int Atom { get; } = atom;
    public override int Weight => Atom >= 0 ? 0 : 1;
    public override bool Eval(ListeningIndex.MatchContext ctx) => Atom >= 0 ? ctx.Index.Present(Atom) : ctx.Doc!.MatchesField(Field);
}

/// <summary>
/// Operands may not overlap; distance is from the end of the earlier operand's span to the start of the later's.
/// Checking "some y starts within n after x ends" needs only the first y starting after x (spans sorted by
/// start): O((|X| + |Y|) log) per post even for hostile operands like <c>the NEAR/100 the</c>.
/// </summary>
internal sealed class NearPlan(Plan left, Plan right, int distance, bool ordered) : Plan
{
    private static readonly Comparison<PositionSpan> ByStart = (x, y) => x.Start.CompareTo(y.Start);

    public Plan Left { get; } = left;
    public Plan Right { get; } = right;
    public int Distance { get; } = distance;
    public bool Ordered { get; } = ordered;
    public override int Weight => 5;

    public override bool Eval(ListeningIndex.MatchContext ctx)
    {
        if (!Left.Eval(ctx) || !Right.Eval(ctx))
        {
            return false;
        }

        var l = ctx.Left;
        var r = ctx.Right;
        l.Clear();
        r.Clear();
        Left.AddSpans(ctx, l);
        Right.AddSpans(ctx, r);
        if (Left is OrPlan)
        {
            l.Sort(ByStart);
        }

        if (Right is OrPlan)
        {
            r.Sort(ByStart);
        }

        return Follows(l, r, Distance) || (!Ordered && Follows(r, l, Distance));
    }

    /// <summary>Some y in <paramref name="ys"/> (sorted by start) starts 1..n tokens after some x ends.</summary>
    private static bool Follows(List<PositionSpan> xs, List<PositionSpan> ys, int n)
    {
        foreach (var x in xs)
        {
            // First y with Start > x.End.
            int lo = 0, hi = ys.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (ys[mid].Start > x.End)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }

            if (lo < ys.Count && ys[lo].Start - x.End <= n)
            {
                return true;
            }
        }

        return false;
    }
}
