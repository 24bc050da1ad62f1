using Loyalty.Domain.Events;
using Loyalty.Domain.Members;

namespace Loyalty.Domain.Operations;

/// <summary>What to do with a profile change, given the member as stored: store this profile, or refuse.</summary>
public sealed record ProfileDecision(MemberProfile? Profile, Refusal? Refusal)
{
    public static ProfileDecision Store(MemberProfile profile) => new(profile, null);

    public static implicit operator ProfileDecision(Refusal refusal) => new(null, refusal);
}

/// <summary>Enrolment, profile changes and erasure of personal data.</summary>
public static class Profiles
{
    /// <summary>Decides a PUT of the profile on the member as stored (null: not enrolled yet). Erasure is final. A referrer
    /// must be another member who enrolled before (<paramref name="referrerExists"/>), and is set only at enrolment: an
    /// update that leaves it out keeps it. Together these rule out referral loops.</summary>
    /// <param name="consent">How the program asks for SMS consent: the requested profile's <c>SmsOptIn</c> and
    /// transactional consent are then what the caller asks for, and <see cref="Consents.Requested"/> decides what is
    /// stored. Without it the requested consent is stored as it is.</param>
    public static ProfileDecision Decide(MemberId id, Member? current, MemberProfile requested, bool referrerExists, ConsentPolicy? consent = null, DateTimeOffset now = default)
    {
        if (current is { IsErased: true })
        {
            return new MemberErased();
        }

        if (consent is not null)
        {
            requested = requested with { Sms = Consents.Requested(current?.Profile.Sms ?? SmsConsent.None, requested.SmsOptIn, requested.Sms.Transactional, consent, now) };
        }

        var kept = current?.Profile.ReferredBy;
        if (requested.ReferredBy is not { } referrer || referrer == kept)
        {
            return ProfileDecision.Store(requested with { ReferredBy = kept ?? requested.ReferredBy });
        }

        if (referrer == id)
        {
            return new ReferralNotAllowed("A member cannot refer themselves.");
        }

        if (current is not null)
        {
            return new ReferralNotAllowed(kept is null
                ? "The referrer can only be given when the member enrolls."
                : "The referrer was set at enrolment and cannot change.");
        }

        return referrerExists ? ProfileDecision.Store(requested) : new ReferralNotAllowed($"No member has the id '{referrer.Value}'.");
    }

    /// <summary>The member with their personal data erased: the profile back to its defaults (no name, phone, birthday or
    /// referrer; <c>en</c>, <c>UTC</c>, not opted in). The account and the ledger stay, anonymised, for accounting.</summary>
    public static Member Erase(Member member, DateTimeOffset now) =>
        member.IsErased ? member : member with { Profile = new MemberProfile(), ErasedAt = now };

    /// <summary>The events of storing <paramref name="profile"/> for the member as stored (null: enrolling now): enrolled,
    /// or updated with the names of the fields that changed (none when nothing did), and a consent change.</summary>
    public static IReadOnlyList<DomainEvent> Saved(Member? before, MemberProfile profile, DateTimeOffset enrolledAt, string channel = "api")
    {
        if (before is null)
        {
            return [new DomainEvent(EventCatalog.MemberEnrolled, new MemberEnrolled(enrolledAt, profile.SmsOptIn, profile.ReferredBy is not null))];
        }

        var was = before.Profile;
        var changed = new (string Field, bool Changed)[]
        {
            ("firstName", was.FirstName != profile.FirstName),
            ("phone", was.Phone != profile.Phone),
            ("birthday", was.Birthday != profile.Birthday),
            ("locale", was.Locale != profile.Locale),
            ("timeZone", was.TimeZone != profile.TimeZone),
            ("smsOptIn", was.Sms.State != profile.Sms.State),
            ("smsTransactional", was.Sms.Transactional != profile.Sms.Transactional),
            ("cards", !was.Cards.SequenceEqual(profile.Cards)),
        }.Where(f => f.Changed).Select(f => f.Field).ToList();
        var events = new List<DomainEvent>();
        if (changed.Count > 0)
        {
            events.Add(new DomainEvent(EventCatalog.MemberUpdated, new MemberUpdated(changed)));
        }

        if (was.Sms.State != profile.Sms.State || was.Sms.Transactional != profile.Sms.Transactional)
        {
            events.Add(ConsentChanged(profile.Sms, channel));
        }

        return events;
    }

    public static DomainEvent Erased(DateTimeOffset at) => new(EventCatalog.MemberErased, new MemberDataErased(at));

    /// <param name="channel">How it changed: <c>api</c>, <c>sms</c>, <c>import</c> or <c>erasure</c>.</param>
    public static DomainEvent ConsentChanged(SmsConsent consent, string channel) =>
        new(EventCatalog.ConsentChanged, new ConsentChanged(consent.State == ConsentState.Granted, channel, SmsConsent.Name(consent.State), consent.Transactional));
}
