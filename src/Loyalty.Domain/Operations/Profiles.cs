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
    public static ProfileDecision Decide(MemberId id, Member? current, MemberProfile requested, bool referrerExists)
    {
        if (current is { IsErased: true })
        {
            return new MemberErased();
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
    public static IReadOnlyList<DomainEvent> Saved(Member? before, MemberProfile profile, DateTimeOffset enrolledAt)
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
            ("smsOptIn", was.SmsOptIn != profile.SmsOptIn),
            ("cards", !was.Cards.SequenceEqual(profile.Cards)),
        }.Where(f => f.Changed).Select(f => f.Field).ToList();
        var events = new List<DomainEvent>();
        if (changed.Count > 0)
        {
            events.Add(new DomainEvent(EventCatalog.MemberUpdated, new MemberUpdated(changed)));
        }

        if (was.SmsOptIn != profile.SmsOptIn)
        {
            events.Add(ConsentChanged(profile.SmsOptIn, "api"));
        }

        return events;
    }

    public static DomainEvent Erased(DateTimeOffset at) => new(EventCatalog.MemberErased, new MemberDataErased(at));

    /// <param name="channel">How the member asked: <c>api</c> or <c>sms</c>.</param>
    public static DomainEvent ConsentChanged(bool smsOptIn, string channel) => new(EventCatalog.ConsentChanged, new ConsentChanged(smsOptIn, channel));
}
