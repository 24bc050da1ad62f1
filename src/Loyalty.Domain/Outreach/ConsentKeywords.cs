namespace Loyalty.Domain.Outreach;

/// <summary>What a member's SMS reply asks for.</summary>
public enum ConsentRequest
{
    /// <summary>Not a keyword: an ordinary reply, left alone.</summary>
    None,

    OptOut,

    OptIn,
}

/// <summary>The reply keywords that stop and restart marketing SMS: the carriers' standard English set (STOP, STOPALL,
/// UNSUBSCRIBE, CANCEL, END, QUIT; START, UNSTOP), the Chinese 退订 / TD and the Russian СТОП / СТАРТ. A reply
/// matches when it is the keyword alone, in any case, with spaces and closing punctuation around it ("Stop.", " stop!").</summary>
public static class ConsentKeywords
{
    private static readonly HashSet<string> OptOutWords = new(StringComparer.Ordinal)
    {
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD", "СТОП",
    };

    private static readonly HashSet<string> OptInWords = new(StringComparer.Ordinal)
    {
        "START", "UNSTOP", "СТАРТ",
    };

    public static ConsentRequest Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return ConsentRequest.None;
        }

        var word = text.Trim().Trim('.', '!', '。', '！', '"', '\'', '“', '”').Trim().ToUpperInvariant();
        if (OptOutWords.Contains(word))
        {
            return ConsentRequest.OptOut;
        }

        return OptInWords.Contains(word) ? ConsentRequest.OptIn : ConsentRequest.None;
    }
}
