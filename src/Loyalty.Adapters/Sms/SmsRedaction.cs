using System.Text.RegularExpressions;

namespace Loyalty.Adapters.Sms;

/// <summary>Keeps phone numbers out of logs: only their last two digits show.</summary>
public static partial class SmsRedaction
{
    /// <summary><c>+14255550123</c> → <c>+*********23</c>; anything shorter than five characters → <c>***</c>.</summary>
    public static string Mask(string? phone)
    {
        if (string.IsNullOrEmpty(phone) || phone.Length < 5)
        {
            return "***";
        }

        var masked = new char[phone.Length];
        for (var i = 0; i < phone.Length; i++)
        {
            masked[i] = i >= phone.Length - 2 || (i == 0 && phone[0] == '+') ? phone[i] : '*';
        }

        return new string(masked);
    }

    /// <summary>Masks every phone-number-like run of digits in free text (ACS error messages may quote the number).</summary>
    public static string? Redact(string? text) =>
        text is null ? null : PhoneLike().Replace(text, m => Mask(m.Value));

    [GeneratedRegex(@"\+?\d[\d \-().]{4,}\d")]
    private static partial Regex PhoneLike();
}
