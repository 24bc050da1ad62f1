using Loyalty.Domain.Operations;

namespace Loyalty.Domain.Outreach;

/// <summary>The keywords a member may text, in English, Chinese and Russian: the carriers' opt-out set (STOP, STOPALL,
/// UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; 退订, TD, 取消; СТОП, ОТПИСАТЬСЯ, ОТМЕНА), opt-in (START, UNSTOP;
/// 开始; СТАРТ), the confirmation of a double opt-in (YES; 是; ДА), HELP and INFO (帮助; ПОМОЩЬ, ИНФО) and the balance
/// (BAL, BALANCE, POINTS; 余额, 积分; БАЛАНС, БАЛЛЫ). A reply matches when it is the keyword alone, in any case, with
/// spaces and closing punctuation around it ("Stop.", " stop!").</summary>
public static class SmsKeywords
{
    public static IReadOnlyDictionary<SmsKeyword, IReadOnlyList<string>> Words { get; } = new Dictionary<SmsKeyword, IReadOnlyList<string>>
    {
        [SmsKeyword.OptOut] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "退订", "TD", "取消", "СТОП", "ОТПИСАТЬСЯ", "ОТМЕНА"],
        [SmsKeyword.OptIn] = ["START", "UNSTOP", "开始", "СТАРТ"],
        [SmsKeyword.Confirm] = ["YES", "是", "ДА"],
        [SmsKeyword.Help] = ["HELP", "INFO", "帮助", "ПОМОЩЬ", "ИНФО"],
        [SmsKeyword.Balance] = ["BAL", "BALANCE", "POINTS", "余额", "积分", "БАЛАНС", "БАЛЛЫ"],
    };

    private static readonly Dictionary<string, SmsKeyword> ByWord =
        Words.SelectMany(w => w.Value.Select(word => (word, w.Key))).ToDictionary(p => p.word, p => p.Key, StringComparer.Ordinal);

    public static SmsKeyword Parse(string? text) => Recognise(text).Keyword;

    /// <summary>The language a recognised keyword is in (<c>en</c>, <c>zh-CN</c> or <c>ru</c>): how a number no member
    /// has is answered.</summary>
    public static string LocaleOf(string word) =>
        word.Any(c => c is >= '\u4e00' and <= '\u9fff') ? "zh-CN" : word.Any(c => c is >= '\u0400' and <= '\u04ff') ? "ru" : "en";

    /// <summary>The keyword and the word as recognised (upper case), never the rest of a message.</summary>
    public static (SmsKeyword Keyword, string? Word) Recognise(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
        {
            return (SmsKeyword.None, null);
        }

        var word = text.Trim().Trim('.', '!', '。', '！', '"', '\'', '“', '”').Trim().ToUpperInvariant();
        return ByWord.TryGetValue(word, out var keyword) ? (keyword, word) : (SmsKeyword.None, null);
    }
}
