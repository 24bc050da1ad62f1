using System.Diagnostics.CodeAnalysis;
using Loyalty.Domain.Operations;

namespace Loyalty.Domain.Outreach;

/// <summary>One outreach message: a member, a campaign and the period it is for (a year for birthdays, the expiry day
/// for expiry warnings, the last-purchase day for win-back). At most one message exists per key.</summary>
public readonly record struct OutboxKey(MemberId Member, Campaign Campaign, string Period)
{
    /// <summary>What the SMS carries as its ACS tag, echoed by delivery reports: <c>{memberId}|{campaign}|{period}</c>.</summary>
    public string Tag => $"{Member.Value}|{Campaign.Name()}|{Period}";

    public static bool TryCreate(string? memberId, string? campaign, string? period, out OutboxKey key)
    {
        key = default;
        if (!MemberId.TryParse(memberId, out var member) || !CampaignNames.TryParse(campaign, out var c) || !ValidPeriod(c, period))
        {
            return false;
        }

        key = new OutboxKey(member, c, period);
        return true;
    }

    public static bool TryParseTag(string? tag, out OutboxKey key)
    {
        var parts = tag?.Split('|') ?? [];
        key = default;
        return parts.Length == 3 && TryCreate(parts[0], parts[1], parts[2], out key);
    }

    // Marketing periods are a year or a day; replies and transactional messages are keyed by what they answer (the
    // inbound message, the pending request, the purchase, the voucher code), each an id.
    private static bool ValidPeriod(Campaign campaign, [NotNullWhen(true)] string? period) => campaign switch
    {
        Campaign.Birthday => OutreachRules.TryParsePeriodYear(period, out _),
        _ when campaign.Kind() == CampaignKind.Marketing => OutreachRules.TryParsePeriodDay(period, out _),
        _ => Ids.IsValid(period),
    };

    public override string ToString() => Tag;
}

/// <summary>Where an outreach message stands, and the only moves it may make:
/// planned → planned (deferred), sending or skipped; sending → sending (ACS could not take it yet), sent, failed or
/// unconfirmed, and back to planned when no call for it can have reached ACS (<see cref="Reconciling"/>).
/// <see cref="Sent"/>, <see cref="Skipped"/>, <see cref="Failed"/> and <see cref="Unconfirmed"/> are final: nothing is
/// ever sent for the message again.</summary>
public static class MessageStatus
{
    /// <summary>Waiting for its sending window (a send job is on the queue).</summary>
    public const string Planned = "planned";

    /// <summary>The day's slot is taken and ACS has been (or is being) called with the message's repeatability id; a
    /// retry reuses it, so it cannot send twice.</summary>
    public const string Sending = "sending";

    public const string Sent = "sent";

    public const string Skipped = "skipped";

    /// <summary>ACS refused the message for good (invalid number, blocked, …).</summary>
    public const string Failed = "failed";

    /// <summary>Whether an earlier attempt went out is unknown (ACS no longer knew the repeatability id, or the message
    /// stopped being true while an attempt's outcome was unknown): it is not sent again.</summary>
    public const string Unconfirmed = "unconfirmed";

    private static readonly Dictionary<string, string[]> Moves = new(StringComparer.Ordinal)
    {
        [Planned] = [Planned, Sending, Skipped],
        [Sending] = [Sending, Sent, Failed, Unconfirmed, Planned],
    };

    public static bool IsFinal(string status) => status is Sent or Skipped or Failed or Unconfirmed;

    public static bool CanMove(string from, string to) => Moves.TryGetValue(from, out var next) && next.Contains(to);

    /// <summary>The new status; a move the table does not allow is a bug, never a state the data may reach.</summary>
    public static string Move(string from, string to) =>
        CanMove(from, to) ? to : throw new InvalidOperationException($"An outreach message cannot move from {from} to {to}.");
}

/// <summary>What the sender knows of an outbox message when it decides.</summary>
/// <param name="Addressed">The message carries its own recipient: a reply to a number no member has (HELP from a
/// stranger), sent to that number and to nobody's profile.</param>
public sealed record MessageState(OutboxKey Key, string Status, DateTimeOffset PlannedFor, bool Addressed = false);

/// <summary>Everything a send decision looks at: the message, the member as stored now (null when gone), the member's
/// other messages and the local days a message already went out on, and the time.</summary>
public sealed record SendSituation(MessageState Message, Member? Member, IReadOnlyList<MessageState> Others, IReadOnlyList<DateOnly> SentDays, DateTimeOffset Now);

/// <summary>What to do with a message whose send job came off the queue.</summary>
public abstract record SendDecision
{
    /// <summary>The message has its final status already.</summary>
    public sealed record AlreadyDone(string Status) : SendDecision;

    /// <summary>Planned, and it can never go out (no consent, no phone, no longer true): skipped.</summary>
    public sealed record Skip(string Reason) : SendDecision;

    /// <summary>An earlier attempt's outcome is unknown and the message is no longer true: unconfirmed, never resent.</summary>
    public sealed record GiveUp(string Reason) : SendDecision;

    /// <summary>Not now: the next sending window, the day after a message of higher priority, below the caps.</summary>
    public sealed record Defer(DateTimeOffset Until, string Why) : SendDecision;

    /// <summary>Send it now for the first time: take the member's local day's slot, fix the figures the text shows.</summary>
    public sealed record Begin(DateOnly LocalDay, long Points, long? ExpiringPoints, int ExpiringVouchers = 0) : SendDecision;

    /// <summary>Send again what an earlier attempt began, with the same repeatability id and figures.</summary>
    public sealed record Resend : SendDecision;
}

/// <summary>The send decision as a pure function: consent and phone, whether the message is still true, quiet hours in
/// the member's own time zone, a message of higher priority on the same day, the daily and weekly caps, and the
/// message's own state.</summary>
public static class Sending
{
    public static SendDecision Decide(OutreachDefinition rules, SendSituation s)
    {
        var message = s.Message;
        if (MessageStatus.IsFinal(message.Status))
        {
            return new SendDecision.AlreadyDone(message.Status);
        }

        var zone = s.Member?.Profile.Zone ?? TimeZoneInfo.Utc;
        var now = s.Now;
        var localToday = SendingWindows.LocalDay(now, zone);
        var kind = message.Key.Campaign.Kind();
        var check = Check(rules, message.Key, s, zone);
        var notBefore = check.NotBefore > now ? check.NotBefore : now;
        var target = check.Skip is not null ? now : kind == CampaignKind.Reply ? notBefore : rules.SendingWindow.NextOpening(notBefore, zone);
        var why = check.Why;
        if (kind == CampaignKind.Marketing && check.Skip is null && message.Status == MessageStatus.Planned && target <= now && CapTarget(rules, s, zone, localToday) is { } cap)
        {
            // Due now as far as the member goes; the frequency rules move it to another day.
            (target, why) = cap.At > target ? (cap.At, cap.Why) : (target, cap.Why);
        }

        var skip = check.Skip ?? (check.Deadline is { } deadline && target >= deadline ? check.DeadlineReason : null);
        if (skip is not null)
        {
            return message.Status == MessageStatus.Sending
                ? new SendDecision.GiveUp($"{skip} after an attempt whose outcome is unknown")
                : new SendDecision.Skip(skip);
        }

        if (target > now)
        {
            return new SendDecision.Defer(target, why);
        }

        if (message.Status == MessageStatus.Sending)
        {
            return new SendDecision.Resend();
        }

        var expiry = default(DateOnly);
        var warning = message.Key.Campaign == Campaign.ExpiryWarning && OutreachRules.TryParsePeriodDay(message.Key.Period, out expiry);
        return new SendDecision.Begin(
            localToday,
            s.Member?.Account.Balance.Value ?? 0,
            warning ? ExpiringOn(s.Member!.Account, expiry) : null,
            warning ? VouchersExpiringBy(s.Member!.Account, expiry, now) : 0);
    }

    /// <summary>The member's vouchers that can still be used at <paramref name="now"/> and expire by <paramref name="day"/>:
    /// an expiry warning mentions them.</summary>
    public static int VouchersExpiringBy(Ledger.Account account, DateOnly day, DateTimeOffset now) =>
        account.VouchersAt(now).Count(v => v.Status == Ledger.VoucherStatus.Active && v.ExpiresOn <= day);

    /// <summary>The points of the lot that expires on <paramref name="day"/>, if any are left.</summary>
    public static long? ExpiringOn(Ledger.Account account, DateOnly day) =>
        account.Lots.FirstOrDefault(l => l.ExpiresOn == day && l.Remaining > Points.Zero)?.Remaining.Value;

    /// <summary>Whether the message may still go out, and from when until when.</summary>
    private static Validity Check(OutreachDefinition rules, OutboxKey key, SendSituation s, TimeZoneInfo zone)
    {
        if (s.Message.Addressed)
        {
            // Only a reply goes to a number no member has, at once, while it still answers something.
            return key.Campaign.Kind() == CampaignKind.Reply
                ? new Validity(null, s.Now, s.Message.PlannedFor + OtherMessagesKeep, "too-late", "")
                : Validity.Skipped("member-not-found");
        }

        if (s.Member is not { } member)
        {
            return Validity.Skipped("member-not-found");
        }

        if (member.IsErased)
        {
            return Validity.Skipped("erased");
        }

        var (account, profile) = (member.Account, member.Profile);
        if (key.Campaign.Kind() != CampaignKind.Marketing)
        {
            return CheckOther(key, s.Message.PlannedFor, member, s.Now);
        }

        if (!profile.SmsOptIn)
        {
            return Validity.Skipped("no-consent");
        }

        if (string.IsNullOrEmpty(profile.Phone))
        {
            return Validity.Skipped("no-phone");
        }

        var now = s.Now;
        switch (key.Campaign)
        {
            case Campaign.Birthday:
                if (!OutreachRules.TryParsePeriodYear(key.Period, out var year) || profile.Birthday is not { } birthday)
                {
                    return Validity.Skipped("no-birthday");
                }

                var (opens, closes) = rules.SendingWindow.On(birthday.In(year), zone);
                return new Validity(null, opens, closes, "birthday-passed", "quiet-hours");
            case Campaign.ExpiryWarning:
                OutreachRules.TryParsePeriodDay(key.Period, out var day);
                return ExpiringOn(account, day) is null
                    ? Validity.Skipped("points-gone")
                    : new Validity(null, now, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), "points-expired", "quiet-hours");
            default:
                OutreachRules.TryParsePeriodDay(key.Period, out var lastDay);
                if (account.LastPurchaseAt is not { } last || DateOnly.FromDateTime(last.UtcDateTime) != lastDay)
                {
                    return Validity.Skipped("purchased-again");
                }

                if (OutreachRules.WinBackSegment(lastDay, DateOnly.FromDateTime(now.UtcDateTime), rules.WinBack) != key.Campaign)
                {
                    return Validity.Skipped("segment-ended");
                }

                var endsAfter = key.Campaign == Campaign.WinbackAtRisk ? rules.WinBack.LapsedDays : rules.WinBack.GiveUpDays;
                return new Validity(null, now, new DateTimeOffset(lastDay.AddDays(endsAfter).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), "segment-ended", "quiet-hours");
        }
    }

    /// <summary>How long a reply or a transactional message stays worth sending after it was due.</summary>
    public static readonly TimeSpan OtherMessagesKeep = TimeSpan.FromDays(2);

    /// <summary>Replies go whatever the consent (the member asked, or asked for consent); transactional messages need
    /// transactional consent; a confirmation request only while its request is pending, a voucher notice only while
    /// the voucher can be used.</summary>
    private static Validity CheckOther(OutboxKey key, DateTimeOffset plannedFor, Member member, DateTimeOffset now)
    {
        var profile = member.Profile;
        if (string.IsNullOrEmpty(profile.Phone))
        {
            return Validity.Skipped("no-phone");
        }

        var stale = plannedFor + OtherMessagesKeep;
        switch (key.Campaign)
        {
            case Campaign.OptInRequest:
                return profile.Sms.IsPendingAt(now) && profile.Sms.Since is { } since && Consents.RequestPeriod(since) == key.Period
                    ? new Validity(null, now, profile.Sms.PendingUntil, "request-expired", "")
                    : Validity.Skipped("not-pending");
            case Campaign.ThankYou or Campaign.VoucherIssued when !profile.Sms.Transactional:
                return Validity.Skipped("no-consent");
            case Campaign.VoucherIssued when !member.Account.VouchersAt(now).Any(v => v.Code == key.Period && v.Status == Ledger.VoucherStatus.Active):
                return Validity.Skipped("voucher-gone");
            case Campaign.ThankYou or Campaign.VoucherIssued:
                return new Validity(null, now, stale, "too-late", "quiet-hours");
            default:
                return new Validity(null, now, stale, "too-late", "");
        }
    }

    /// <summary>The sending window of the first day the frequency rules allow, when today is not it; null when today is
    /// fine. A message of higher priority planned for today goes first; a day holds one message; any 7 days hold at
    /// most <see cref="OutreachDefinition.MaxPerWeek"/>.</summary>
    private static (DateTimeOffset At, string Why)? CapTarget(OutreachDefinition rules, SendSituation s, TimeZoneInfo zone, DateOnly today)
    {
        var key = s.Message.Key;
        var tomorrow = rules.SendingWindow.On(today.AddDays(1), zone).Opens;
        var outranked = s.Others.Any(o => o.Key != key
            && o.Key.Campaign.Kind() == CampaignKind.Marketing
            && o.Status is MessageStatus.Planned or MessageStatus.Sending
            && o.Key.Campaign.Priority() < key.Campaign.Priority()
            && SendingWindows.LocalDay(o.PlannedFor, zone) == today);
        if (outranked)
        {
            return (tomorrow, "priority");
        }

        if (s.SentDays.Contains(today))
        {
            return (tomorrow, "daily-cap");
        }

        var first = OutreachRules.FirstDayUnderWeeklyCap([.. s.SentDays], today, rules.MaxPerWeek);
        return first > today ? (rules.SendingWindow.On(first, zone).Opens, "weekly-cap") : null;
    }

    /// <param name="Skip">Why it can never go out, if so.</param>
    /// <param name="NotBefore">The earliest it may go out (a birthday greeting waits for the day).</param>
    /// <param name="Deadline">When it stops being true (the end of the birthday's window, the expiry, the end of the segment).</param>
    /// <param name="DeadlineReason">The skip reason once the deadline is reached.</param>
    /// <param name="Why">Why it waits, when it does.</param>
    private sealed record Validity(string? Skip, DateTimeOffset NotBefore, DateTimeOffset? Deadline, string DeadlineReason, string Why)
    {
        public static Validity Skipped(string reason) => new(reason, default, null, reason, reason);
    }
}

/// <summary>What the reconciliation knows of a message left in <see cref="MessageStatus.Sending"/>: the calls to ACS
/// that were begun for it (each recorded before it is made), those ACS refused before looking at the message (its
/// credentials check), and when it was last attempted (or, deferred to a sending window, when it is next due).</summary>
public sealed record SendingFacts(int Calls, int Refused, DateTimeOffset LastAttemptAt);

/// <summary>What to do with a message left in <see cref="MessageStatus.Sending"/>.</summary>
public enum Reconciliation
{
    /// <summary>Attempted recently: its send job may still be at work (a queue retry, a deferral). Leave it.</summary>
    Wait,

    /// <summary>No call for it can have reached ACS (the app stopped before calling, or ACS refused every call before
    /// looking at it): back to planned, to be sent in the same campaign period if it is still true then, with a new
    /// repeatability id.</summary>
    Retry,

    /// <summary>A call may have gone out: call again with the same repeatability id and first-sent time, and let ACS say
    /// what became of it (accepted: sent; rejected: failed; the id no longer known: unconfirmed, never sent again).</summary>
    Ask,
}

/// <summary>Resolves messages left in <see cref="MessageStatus.Sending"/> when their send job ended in
/// <c>outreach-poison</c> or the app stopped mid-send: a pure decision from what the row records.</summary>
public static class Reconciling
{
    /// <summary>How long after its last attempt a message in sending counts as left behind: longer than a send job's
    /// queue retries take.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);

    public static Reconciliation Decide(SendingFacts facts, DateTimeOffset now) =>
        now - facts.LastAttemptAt < StaleAfter ? Reconciliation.Wait
        : facts.Calls <= facts.Refused ? Reconciliation.Retry
        : Reconciliation.Ask;
}
