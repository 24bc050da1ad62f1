using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Loyalty.Domain.Operations;

/// <summary>The one canonical digest of a request, for every kind of operation: equal requests give equal
/// fingerprints however they were written (10, 10.0 and 1e1 are one amount; instants compare in UTC), and any
/// difference in content gives another. Each part is written with its length, so parts cannot run into each other.</summary>
public static class Fingerprint
{
    public static string Of(params ReadOnlySpan<object?> parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            Append(text, part);
        }

        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void Append(StringBuilder text, object? part)
    {
        switch (part)
        {
            case null:
                text.Append("n;");
                break;
            case string s:
                text.Append('s').Append(s.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(s).Append(';');
                break;
            case decimal d:
                Append(text, "d" + Canonical(d));
                break;
            case DateTimeOffset t:
                Append(text, "t" + t.UtcTicks.ToString(CultureInfo.InvariantCulture));
                break;
            case IEnumerable items:
                text.Append('[');
                foreach (var item in items)
                {
                    Append(text, item);
                }

                text.Append(']');
                break;
            case IFormattable f:
                Append(text, f.GetType().Name + ":" + f.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                Append(text, part.ToString());
                break;
        }
    }

    /// <summary>A decimal without trailing zeros: 10, 10.0 and 10.00 all give "10"; 1 and 10 stay apart.</summary>
    public static string Canonical(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
