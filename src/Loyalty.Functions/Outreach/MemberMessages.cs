using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Outreach;

/// <summary>Messages that follow from what a member did, planned through the outbox like every message: the double
/// opt-in request after a consent given through the API, and the transactional thank-you after a purchase and notice
/// of a voucher issued (when the program sends them and the member has transactional consent and a phone). Each is
/// keyed by what it follows (the request's start, the purchase, the voucher code), so planning it again (a repeated
/// PUT, a replayed purchase) adds nothing: at most one per purchase, voucher and request.</summary>
public sealed class MemberMessages(OutreachPlanner planner, ProgramDefinition program, IOptions<AcsSmsOptions> smsOptions, TimeProvider time)
{
    private OutreachDefinition Rules => program.Outreach;

    /// <summary>Plans the confirmation request of a pending consent, due at once; none from a sender that takes no
    /// replies (the member could not answer it: such a program turns double opt-in off).</summary>
    public async Task AfterProfileSavedAsync(StoredMember member, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (smsOptions.Value.TakesReplies && member.Profile.Sms is { Since: { } since } sms && sms.IsPendingAt(now) && !string.IsNullOrEmpty(member.Profile.Phone))
        {
            await planner.PlanMessageAsync(Row(member, Campaign.OptInRequest, Consents.RequestPeriod(since), now, reply: true), ct);
        }
    }

    /// <summary>Plans the thank-you for a purchase and the notices of the vouchers it issued.</summary>
    public async Task AfterPurchaseAsync(StoredMember? member, PurchaseResult purchase, CancellationToken ct)
    {
        if (!Consented(member))
        {
            return;
        }

        var now = time.GetUtcNow();
        if (Rules.Transactional.ThankYou)
        {
            await planner.PlanMessageAsync(Row(member!, Campaign.ThankYou, purchase.PurchaseId, now) with { Earned = purchase.PointsEarned }, ct);
        }

        foreach (var voucher in purchase.Vouchers)
        {
            await VoucherIssuedAsync(member, voucher.Code, ct);
        }
    }

    /// <summary>Plans the notice of a voucher issued to the member.</summary>
    public async Task VoucherIssuedAsync(StoredMember? member, string code, CancellationToken ct)
    {
        if (Rules.Transactional.VoucherIssued && Consented(member) && Domain.Ids.IsValid(code))
        {
            await planner.PlanMessageAsync(Row(member!, Campaign.VoucherIssued, code, time.GetUtcNow()), ct);
        }
    }

    private static bool Consented(StoredMember? member) =>
        member is { IsErased: false, Profile: { Sms.Transactional: true, Phone.Length: > 0 } };

    // Replies go at once; transactional messages wait for the member's sending window.
    private OutboxRow Row(StoredMember member, Campaign campaign, string period, DateTimeOffset now, bool reply = false) => new()
    {
        Key = new OutboxKey(member.Id, campaign, period),
        Status = MessageStatus.Planned,
        PlannedAt = now,
        PlannedFor = reply ? now : Rules.SendingWindow.NextOpening(now, member.Profile.Zone),
    };
}
