namespace Switchboard.Classification.Corrections;

/// <summary>
/// The workspace's fixed held-back slice: about a fifth of the human-labelled messages, chosen by a hash of the
/// message id, never trained on, and used to compare a retrained candidate with the active model. The slice depends
/// only on the id, so a message stays on its side across retrainings and a candidate can never have seen it.
/// </summary>
public static class HeldBackSlice
{
    public const int Percent = 20;

    public static bool Contains(long messageId) => Mix((ulong)messageId) % 100 < Percent;

    // SplitMix64's finaliser: consecutive ids land on unrelated buckets, so the slice is not "every fifth message".
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
