using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;

namespace Loyalty.Domain.Outreach;

/// <summary>A transactional message an operation plans in its own transaction: the campaign, what it is for (the
/// purchase's id, the voucher's code), when it is due, and the points a thank-you says were earned.</summary>
public sealed record PlannedMessage(Campaign Campaign, string Period, DateTimeOffset PlannedFor, long? Earned = null);

/// <summary>What an operation thanks the member for: its id, the points it earned, and when it happened.</summary>
public sealed record Thanks(string For, long Earned, DateTimeOffset OccurredAt);

/// <summary>The transactional messages a change to a member's account plans, as a pure function of the member before,
/// the account after, the program's rules and the time: a thank-you when the operation thanks the member (a purchase,
/// with the points it earned) and a notice for each voucher the account did not have before. Both only when the program
/// sends them and the member has a phone and transactional consent; due at the member's next sending window. Each is
/// keyed by what it follows, and written in the change's own transaction, so it exists exactly when the change does. A
/// purchase recorded long after it was made (a queue's backlog, an import of history) plans nothing: its messages would
/// come too late to be worth sending (<see cref="Sending.OtherMessagesKeep"/>).</summary>
public static class TransactionalMessages
{
    /// <param name="thanks">What the operation thanks the member for, when it does.</param>
    public static IReadOnlyList<PlannedMessage> Between(Member before, Account after, Thanks? thanks, OutreachDefinition rules, DateTimeOffset now)
    {
        if (before is not { IsErased: false, Profile: { Sms.Transactional: true, Phone.Length: > 0 } profile }
            || (thanks is not null && now - thanks.OccurredAt > Sending.OtherMessagesKeep))
        {
            return [];
        }

        var due = rules.SendingWindow.NextOpening(now, profile.Zone);
        var planned = new List<PlannedMessage>();
        if (rules.Transactional.ThankYou && thanks is not null && Ids.IsValid(thanks.For))
        {
            planned.Add(new PlannedMessage(Campaign.ThankYou, thanks.For, due, thanks.Earned));
        }

        if (rules.Transactional.VoucherIssued)
        {
            var had = before.Account.Vouchers.Select(v => v.Code).ToHashSet(StringComparer.Ordinal);
            planned.AddRange(after.Vouchers.Where(v => !had.Contains(v.Code) && Ids.IsValid(v.Code)).Select(v => new PlannedMessage(Campaign.VoucherIssued, v.Code, due)));
        }

        return planned;
    }
}
