namespace Loyalty.Domain.Outreach;

/// <summary>How a message is encoded on the air: GSM-7 (the GSM 03.38 default alphabet) or UCS-2.</summary>
public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>How many SMS segments a text needs, and in which encoding. <see cref="Units"/> counts septets for GSM-7
/// (extension characters take two) and UTF-16 code units for UCS-2.</summary>
public readonly record struct SmsSegmentCount(SmsEncoding Encoding, int Units, int Segments);

/// <summary>Counts SMS segments, which is what carriers and ACS bill. A text that fits in one message may use 160
/// GSM-7 septets or 70 UCS-2 units; a longer one is split into parts of 153 septets or 67 units (the rest of each
/// part carries the concatenation header). A single character outside GSM-7 turns the whole text into UCS-2.</summary>
public static class SmsSegments
{
    public const int Gsm7SingleLimit = 160;
    public const int Gsm7PartLimit = 153;
    public const int Ucs2SingleLimit = 70;
    public const int Ucs2PartLimit = 67;

    // GSM 03.38 basic character set (the escape code 0x1B left out), in table order.
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    // GSM 03.38 extension table: each is sent as escape + character, two septets.
    private const string Extension = "\f^{}\\[~]|€";

    private static readonly HashSet<char> BasicSet = [.. Basic];
    private static readonly HashSet<char> ExtensionSet = [.. Extension];

    /// <summary>Whether every character of <paramref name="text"/> has a GSM-7 encoding.</summary>
    public static bool IsGsm7(string text)
    {
        foreach (var c in text)
        {
            if (!BasicSet.Contains(c) && !ExtensionSet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The encoding, size and segment count of <paramref name="text"/> (0 segments when empty).</summary>
    public static SmsSegmentCount Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return IsGsm7(text) ? CountGsm7(text) : CountUcs2(text);
    }

    private static SmsSegmentCount CountGsm7(string text)
    {
        var septets = 0;
        foreach (var c in text)
        {
            septets += ExtensionSet.Contains(c) ? 2 : 1;
        }

        if (septets <= Gsm7SingleLimit)
        {
            return new SmsSegmentCount(SmsEncoding.Gsm7, septets, septets == 0 ? 0 : 1);
        }

        // An escape and its character are never split across two parts, so a part may hold 152 septets.
        var segments = 1;
        var used = 0;
        foreach (var c in text)
        {
            var size = ExtensionSet.Contains(c) ? 2 : 1;
            if (used + size > Gsm7PartLimit)
            {
                segments++;
                used = 0;
            }

            used += size;
        }

        return new SmsSegmentCount(SmsEncoding.Gsm7, septets, segments);
    }

    private static SmsSegmentCount CountUcs2(string text)
    {
        if (text.Length <= Ucs2SingleLimit)
        {
            return new SmsSegmentCount(SmsEncoding.Ucs2, text.Length, text.Length == 0 ? 0 : 1);
        }

        // A surrogate pair (an emoji, a rare CJK character) is never split across two parts.
        var segments = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var size = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            if (used + size > Ucs2PartLimit)
            {
                segments++;
                used = 0;
            }

            used += size;
            i += size - 1;
        }

        return new SmsSegmentCount(SmsEncoding.Ucs2, text.Length, segments);
    }
}
