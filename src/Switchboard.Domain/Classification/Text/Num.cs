namespace Switchboard.Classification.Text;

internal static class Num
{
    // Culture-invariant fixed-point text for explanations. Integer formatting is several times cheaper than
    // double formatting, and explanations are built for every post.
    public static string F2(double x) => Fixed(x, 100, 2);

    public static string F1(double x) => Fixed(x, 10, 1);

    private static string Fixed(double x, int scale, int digits)
    {
        var v = (long)Math.Round(x * scale, MidpointRounding.AwayFromZero);
        var neg = v < 0;
        v = Math.Abs(v);
        var whole = v / scale;
        var frac = v % scale;
        var fracText = frac.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
        return string.Concat(neg ? "-" : "", whole.ToString(System.Globalization.CultureInfo.InvariantCulture), ".", fracText);
    }
}
