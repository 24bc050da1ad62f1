using System.Globalization;
using Loyalty.Domain.Members;

namespace Loyalty.Domain.Operations;

/// <summary>How the program asks for SMS consent: with double opt-in, a consent given through the API waits for the
/// member's YES for <see cref="PendingFor"/>.</summary>
public sealed record ConsentPolicy(bool DoubleOptIn, TimeSpan PendingFor);

/// <summary>Where a consent change came from, for the record.</summary>
/// <param name="Channel"><c>api</c>, <c>sms</c>, <c>import</c> or <c>erasure</c>.</param>
/// <param name="Id">The request's id (an inbound message's id, a request's trace id): part of the record's key.</param>
/// <param name="Actor">Who made the change: the caller's <c>x-actor</c>, <c>member</c> for a reply by SMS.</param>
/// <param name="Wording">The wording the member was shown (the program's text, never the member's).</param>
/// <param name="Keyword">The keyword of a reply by SMS, as recognised (<c>STOP</c>), never the message itself.</param>
public sealed record ConsentSource(string Channel, string Id, string? Actor = null, string? Wording = null, string? Keyword = null);

/// <summary>One entry of a member's consent record: the consent after a request, when and how it was asked for.</summary>
/// <param name="RequestedAt">When the member asked (an SMS's received time) or the change was made.</param>
/// <param name="Consent">The marketing consent after it: <c>granted</c>, <c>pending</c>, <c>revoked</c> or <c>none</c>.</param>
/// <param name="Changed">Whether it changed anything (a repeated STOP is recorded, and changes nothing).</param>
public sealed record ConsentRecord(
    DateTimeOffset RequestedAt,
    DateTimeOffset RecordedAt,
    string Channel,
    string? Actor,
    string Consent,
    DateTimeOffset? PendingUntil,
    bool Transactional,
    bool Changed,
    string? Keyword,
    string? Wording);

/// <summary>The SMS consent rules, as pure functions of the consent as stored.</summary>
public static class Consents
{
    /// <summary>The consent after a profile PUT that asks for marketing SMS (<paramref name="optIn"/>) and transactional
    /// SMS. Asking again for what is granted or pending changes nothing (no second confirmation request); asking with
    /// double opt-in makes it pending; no longer asking revokes it.</summary>
    public static SmsConsent Requested(SmsConsent current, bool optIn, bool transactional, ConsentPolicy policy, DateTimeOffset now)
    {
        var state = current.At(now);
        var next = (optIn, state) switch
        {
            (true, ConsentState.Granted or ConsentState.Pending) => current,
            (true, _) when policy.DoubleOptIn => new SmsConsent { State = ConsentState.Pending, Since = now, PendingUntil = now + policy.PendingFor },
            (true, _) => new SmsConsent { State = ConsentState.Granted, Since = now },
            (false, ConsentState.Granted or ConsentState.Pending) => new SmsConsent { State = ConsentState.Revoked, Since = now },
            _ => current,
        };
        return next with { Transactional = transactional };
    }

    /// <summary>The consent after a keyword reply received at <paramref name="at"/>: STOP revokes marketing and
    /// transactional SMS; START (or UNSTOP) grants both, the number having proved itself by texting; YES confirms a
    /// pending request it was received after (a YES delivered late or again, received before the request, answers
    /// nothing). Null when the reply asks for nothing here (YES with nothing pending, or not a consent keyword).</summary>
    public static SmsConsent? OnKeyword(SmsConsent current, SmsKeyword keyword, DateTimeOffset at, DateTimeOffset now) => keyword switch
    {
        SmsKeyword.OptOut => current is { State: ConsentState.Revoked, Transactional: false } ? current : new SmsConsent { State = ConsentState.Revoked, Since = at },
        SmsKeyword.OptIn => current is { State: ConsentState.Granted, Transactional: true } ? current : new SmsConsent { State = ConsentState.Granted, Since = at, Transactional = true },
        SmsKeyword.Confirm when current.IsPendingAt(now) && at >= current.Since => current with { State = ConsentState.Granted, Since = at, PendingUntil = null },
        _ => null,
    };

    public static bool Differ(SmsConsent before, SmsConsent after) =>
        before.State != after.State || before.Transactional != after.Transactional || before.Since != after.Since;

    public static ConsentRecord Record(SmsConsent before, SmsConsent after, ConsentSource source, DateTimeOffset requestedAt, DateTimeOffset now) => new(
        requestedAt,
        now,
        source.Channel,
        source.Actor,
        SmsConsent.Name(after.State),
        after.PendingUntil,
        after.Transactional,
        Differ(before, after),
        source.Keyword,
        source.Wording);

    /// <summary>The period of a pending request's confirmation message: when the request began, to the millisecond.</summary>
    public static string RequestPeriod(DateTimeOffset since) => since.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>What a member's SMS asks for.</summary>
public enum SmsKeyword
{
    /// <summary>Not a keyword: an ordinary reply, left alone.</summary>
    None,

    OptOut,

    OptIn,

    /// <summary>YES: confirms a pending double opt-in request.</summary>
    Confirm,

    Help,

    Balance,
}
