using System.Globalization;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Functions.Http;
using PhoneNumbers;

namespace Loyalty.Functions.Members;

/// <summary>The body of <c>PUT /api/members/{memberId}</c>. PUT replaces the profile: an omitted field takes its
/// default (no phone, <c>en</c>, <c>UTC</c>, not opted in).</summary>
/// <param name="SmsOptIn">Asks for marketing SMS: with double opt-in the consent is <c>pending</c> until the member
/// replies YES to the confirmation request; false withdraws it.</param>
/// <param name="SmsTransactional">Asks for transactional SMS (a thank-you after a purchase, voucher notices).</param>
/// <param name="SmsConsentWording">The wording the member was shown when they gave or withdrew consent (the program's
/// text, at most 500 characters), kept in the consent record.</param>
public sealed record MemberRequest(
    string? Phone,
    string? FirstName,
    string? Birthday,
    string? Locale,
    string? TimeZone,
    bool? SmsOptIn,
    string? ReferredBy,
    IReadOnlyList<string?>? Cards = null,
    bool? SmsTransactional = null,
    string? SmsConsentWording = null)
{
    /// <summary>Cards a member may carry at once.</summary>
    public const int MaxCards = 10;

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <param name="today">Birthdays after it are refused.</param>
    public MemberProfile? ToProfile(Validator v, DateOnly today)
    {
        var profile = new MemberProfile
        {
            FirstName = v.Text("firstName", FirstName, 100),
            Phone = NormalisePhone(v),
            Birthday = ParseBirthday(v, today),
            Locale = NormaliseLocale(v),
            TimeZone = NormaliseTimeZone(v),
            Sms = new SmsConsent { State = SmsOptIn == true ? ConsentState.Granted : ConsentState.None, Transactional = SmsTransactional ?? false },
            ReferredBy = v.Id<MemberId>("referredBy", ReferredBy, required: false),
            Cards = ParseCards(v),
        };
        v.Text("smsConsentWording", SmsConsentWording, 500);
        return v.HasErrors ? null : profile;
    }

    private string? NormalisePhone(Validator v) => Phone is null ? null : E164(v, "phone", Phone);

    /// <summary>An international number (+ and country code: the shop may serve members from anywhere) in E.164, or an
    /// error on <paramref name="field"/>.</summary>
    public static string? E164(Validator v, string field, string phone)
    {
        try
        {
            var number = Phones.Parse(phone, null);
            if (phone.Length <= 32 && Phones.IsValidNumber(number))
            {
                return Phones.Format(number, PhoneNumberFormat.E164);
            }
        }
        catch (NumberParseException)
        {
        }

        v.Add(field, "Must be a valid international phone number in E.164 form, e.g. +14255550123.");
        return null;
    }

    // Card numbers follow the id rule, so that they are safe in URLs and logs never need them.
    private List<string> ParseCards(Validator v)
    {
        if (Cards is null)
        {
            return [];
        }

        if (Cards.Count > MaxCards)
        {
            v.Add("cards", $"At most {MaxCards} cards.");
            return [];
        }

        var cards = new List<string>();
        for (var i = 0; i < Cards.Count; i++)
        {
            if (v.IdText($"cards[{i}]", Cards[i]) is not { } card)
            {
                continue;
            }

            if (cards.Contains(card))
            {
                v.Add($"cards[{i}]", "Appears twice.");
                continue;
            }

            cards.Add(card);
        }

        return cards;
    }

    private Birthday? ParseBirthday(Validator v, DateOnly today)
    {
        if (Birthday is null)
        {
            return null;
        }

        if (!Domain.Members.Birthday.TryParse(Birthday, out var b))
        {
            v.Add("birthday", "Must be a date from 1900-01-01 as YYYY-MM-DD, or --MM-DD when the year is unknown.");
            return null;
        }

        if (b.Year is { } year && new DateOnly(year, b.Month, b.Day) > today)
        {
            v.Add("birthday", $"Must not be after today ({today:yyyy-MM-dd}).");
            return null;
        }

        return b;
    }

    private string NormaliseLocale(Validator v)
    {
        if (Locale is null)
        {
            return "en";
        }

        try
        {
            // "und", "root" and private-use tags resolve to the invariant culture, whose name is empty: not a language.
            if (Locale.Length <= 35 && Locale.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
                && CultureInfo.GetCultureInfo(Locale, predefinedOnly: true) is { Name.Length: > 0 } culture)
            {
                return culture.Name;
            }
        }
        catch (CultureNotFoundException)
        {
        }

        v.Add("locale", "Must be a BCP 47 language tag such as en, zh-CN or ru.");
        return "en";
    }

    private string NormaliseTimeZone(Validator v)
    {
        if (TimeZone is null)
        {
            return "UTC";
        }

        if (TimeZone.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone) && zone.HasIanaId)
        {
            return zone.Id;
        }

        v.Add("timeZone", "Must be an IANA time zone id such as Europe/Moscow or America/Los_Angeles.");
        return "UTC";
    }
}
