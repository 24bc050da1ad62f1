namespace Loyalty.Domain.Outreach;

/// <summary>The messages a program sends when its definition does not say otherwise. English stays within GSM-7
/// (plain apostrophes and hyphens, no emoji) so that it fits one segment; every message ends with the opt-out hint.
/// Wording avoids plurals that depend on the number ("points balance: 1"), which templates cannot inflect.</summary>
public static class DefaultTemplates
{
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Templates { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal)
        {
            ["birthday"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "Happy birthday, {firstName}! Everyone at {programName} wishes you a wonderful day. Your points balance: {points}. {optOut}",
                ["zh-CN"] = "{firstName}，生日快乐！{programName}全体员工祝您度过美好的一天。您的积分余额：{points}。{optOut}",
                ["ru"] = "С днём рождения, {firstName}! Команда {programName} желает вам чудесного дня. Баланс баллов: {points}. {optOut}",
            },
            ["expiry-warning"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "Hi {firstName}, a heads-up from {programName}: {expiringPoints} of your points expire on {expiryDate}. {expiringVouchers} Treat yourself before they're gone! {optOut}",
                ["zh-CN"] = "{firstName}，您好！您在{programName}的{expiringPoints}积分将于{expiryDate}到期，别忘了在到期前使用哦。{expiringVouchers}{optOut}",
                ["ru"] = "Здравствуйте, {firstName}! {expiryDate} сгорят баллы {programName}: {expiringPoints}. {expiringVouchers} Успейте их потратить! {optOut}",
            },
            ["winback-at-risk"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "We miss you, {firstName}! Your {programName} points balance of {points} is waiting. Come see what's new - we'd love to have you back. {optOut}",
                ["zh-CN"] = "{firstName}，好久不见！您在{programName}的积分余额{points}正等着您，欢迎回来看看新品。{optOut}",
                ["ru"] = "Мы скучаем, {firstName}! Ваши баллы {programName} ждут вас, баланс: {points}. Заходите, у нас много нового. {optOut}",
            },
            ["winback-lapsed"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "It's been a while, {firstName}! Your {programName} points balance of {points} is still here. Drop by soon - we'd love to see you again. {optOut}",
                ["zh-CN"] = "{firstName}，我们很想念您！您在{programName}的积分余额{points}依然有效，期待再次为您服务。{optOut}",
                ["ru"] = "Давно не виделись, {firstName}! Ваши баллы {programName} на месте, баланс: {points}. Будем рады вас видеть! {optOut}",
            },
            ["help"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: points and offers by SMS. Text BAL for your balance. {contact} {optOut}",
                ["zh-CN"] = "{programName}：短信积分与优惠。发送BAL查询余额。{contact}{optOut}",
                ["ru"] = "{programName}: баллы и предложения по SMS. Баланс: отправьте BAL. {contact} {optOut}",
            },
            ["help-stranger"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: loyalty points and offers by SMS for members. {contact} {optOut}",
                ["zh-CN"] = "{programName}：会员积分与优惠短信。{contact}{optOut}",
                ["ru"] = "{programName}: баллы и предложения по SMS для участников программы. {contact} {optOut}",
            },
            ["balance"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: your points balance is {points}. {tier} {nextExpiry}",
                ["zh-CN"] = "{programName}：您的积分余额为{points}。{tier}{nextExpiry}",
                ["ru"] = "{programName}: баланс баллов: {points}. {tier} {nextExpiry}",
            },
            ["stop-confirmation"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: you are unsubscribed and will get no more messages. Reply START to resubscribe.",
                ["zh-CN"] = "{programName}：您已退订，将不再收到短信。回复START重新订阅。",
                ["ru"] = "{programName}: вы отписались и больше не получите сообщений. Подписаться снова: ответьте START.",
            },
            ["start-confirmation"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: you are subscribed to loyalty messages, a few a week at most. Msg & data rates may apply. {optOut}",
                ["zh-CN"] = "{programName}：您已订阅会员短信，每周最多几条。{optOut}",
                ["ru"] = "{programName}: вы подписаны на сообщения программы, не больше нескольких в неделю. {optOut}",
            },
            ["opt-in-request"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "{programName}: reply YES to get loyalty offers by SMS, a few a week at most. Msg & data rates may apply. Reply STOP to cancel.",
                ["zh-CN"] = "{programName}：回复YES即可通过短信接收会员优惠，每周最多几条。回复STOP取消。",
                ["ru"] = "{programName}: ответьте ДА, чтобы получать предложения программы по SMS, не больше нескольких в неделю. Отказ: STOP.",
            },
            ["thank-you"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "Thanks for your purchase, {firstName}! You earned {earnedPoints} {programName} points; your balance is now {points}. {optOut}",
                ["zh-CN"] = "{firstName}，感谢您的惠顾！您获得了{earnedPoints}积分，{programName}积分余额：{points}。{optOut}",
                ["ru"] = "Спасибо за покупку, {firstName}! Начислено баллов {programName}: {earnedPoints}. Баланс: {points}. {optOut}",
            },
            ["voucher-issued"] = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                ["en"] = "Good news, {firstName}: your {reward} voucher from {programName} is ready. Show it at the till. {optOut}",
                ["zh-CN"] = "{firstName}，好消息：您的{programName}“{reward}”已发放，结账时出示即可使用。{optOut}",
                ["ru"] = "{firstName}, ваш купон «{reward}» от {programName} готов: покажите его на кассе. {optOut}",
            },
        };

    /// <summary>The sentence of <see cref="Placeholders.Tier"/>, per locale ({0}: the tier's name).</summary>
    public static IReadOnlyDictionary<string, string> Tier { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Tier: {0}.",
        ["zh-CN"] = "会员等级：{0}。",
        ["ru"] = "Уровень: {0}.",
    };

    /// <summary>The sentence of <see cref="Placeholders.NextExpiry"/>, per locale ({0}: the points, {1}: the day).</summary>
    public static IReadOnlyDictionary<string, string> NextExpiry { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Points expiring on {1}: {0}.",
        ["zh-CN"] = "{1}到期积分：{0}。",
        ["ru"] = "{1} сгорят баллы: {0}.",
    };

    /// <summary>The sentence of <see cref="Placeholders.ExpiringVouchers"/>, per locale ({0}: how many vouchers). The
    /// wording avoids a plural that depends on the number.</summary>
    public static IReadOnlyDictionary<string, string> ExpiringVouchers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Vouchers expiring by then: {0}.",
        ["zh-CN"] = "届时到期的代金券：{0}张。",
        ["ru"] = "Купонов истекает к этой дате: {0}.",
    };

    /// <summary>How to opt out, per locale. STOP is the keyword ACS and US carriers act on, and the one the
    /// inbound handler understands in every language.</summary>
    public static IReadOnlyDictionary<string, string> OptOut { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "Reply STOP to opt out",
        ["zh-CN"] = "回复STOP退订",
        ["ru"] = "Отписаться: ответьте STOP",
    };
}
