namespace Loyalty.Domain.Members;

/// <summary>What a member told the shop about themselves. Values are already validated and normalised
/// (phone in E.164, locale and time zone canonical).</summary>
public sealed record MemberProfile
{
    public string? FirstName { get; init; }

    /// <summary>E.164, e.g. <c>+14255550123</c>.</summary>
    public string? Phone { get; init; }

    /// <summary>When the member gave the phone they have now (null: no phone, given before this was recorded, or
    /// imported with it). Set by the store when the phone changes.</summary>
    public DateTimeOffset? PhoneSince { get; init; }

    public Birthday? Birthday { get; init; }

    /// <summary>BCP 47 language tag.</summary>
    public string Locale { get; init; } = "en";

    /// <summary>IANA time zone id.</summary>
    public string TimeZone
    {
        get => zone.Id;
        init => zone = TimeZones.Find(value);
    }

    /// <summary>The member's time zone, parsed once from <see cref="TimeZone"/> (UTC when the id is unknown here).</summary>
    public TimeZoneInfo Zone => zone;

    private readonly TimeZoneInfo zone = TimeZoneInfo.Utc;

    /// <summary>The member's SMS consent: marketing (granted, pending, revoked or none) and transactional.</summary>
    public SmsConsent Sms { get; init; } = SmsConsent.None;

    /// <summary>Whether marketing SMS may go out: consent granted. Setting it (a request, a test) grants or clears it
    /// without a date; <see cref="Operations.Consents"/> decides what a request makes of it.</summary>
    public bool SmsOptIn
    {
        get => Sms.State == ConsentState.Granted;
        init => Sms = Sms with { State = value ? ConsentState.Granted : ConsentState.None };
    }

    public MemberId? ReferredBy { get; init; }

    /// <summary>Whether a text received from <paramref name="number"/> at <paramref name="at"/> can be this member's:
    /// not when they were given that number only after it was received. Event Grid delivers an SMS again (or late) for
    /// up to a day, and a number changes hands: the previous holder's START must not grant the new holder consent. A
    /// member found by the number who has another one now had it when looked up, so may have sent it.</summary>
    public bool MayHaveSent(string number, DateTimeOffset at) => Phone != number || PhoneSince is not { } since || since <= at;

    /// <summary>Loyalty card numbers the member shows at a till; each is unique in the program.</summary>
    public IReadOnlyList<string> Cards { get; init; } = [];

    /// <summary>Two profiles are equal when every property is: the cards as a list of values, not the list object
    /// (<see cref="SmsOptIn"/> is read from <see cref="Sms"/>). A property added above belongs here too.</summary>
    public bool Equals(MemberProfile? other) =>
        other is not null
        && FirstName == other.FirstName
        && Phone == other.Phone
        && PhoneSince == other.PhoneSince
        && Birthday == other.Birthday
        && Locale == other.Locale
        && TimeZone == other.TimeZone
        && Sms == other.Sms
        && ReferredBy == other.ReferredBy
        && Cards.SequenceEqual(other.Cards);

    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(FirstName, Phone, PhoneSince), Birthday, Locale, TimeZone, Sms, ReferredBy, Cards.Count);
}

/// <summary>Time zones by IANA id, each looked up once.</summary>
public static class TimeZones
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TimeZoneInfo> Known = new(StringComparer.Ordinal);

    public static TimeZoneInfo Find(string id) =>
        Known.GetOrAdd(id, static i => TimeZoneInfo.TryFindSystemTimeZoneById(i, out var z) ? z : TimeZoneInfo.Utc);
}
