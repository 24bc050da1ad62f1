using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Outreach;

/// <summary>Messages that follow from what a member did: the double opt-in request after a consent given through the
/// API, planned through the outbox like every message and keyed by the request's start, so that a repeated PUT adds
/// nothing; and the transactional thank-you after a purchase and notice of a voucher issued, which the operation plans in
/// its own transaction (<see cref="Domain.Outreach.TransactionalMessages"/>), keyed by the purchase and the voucher code:
/// at most one each, and never lost to a crash after the commit. This class only enqueues their send jobs.</summary>
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

    /// <summary>Puts on the queue the send jobs of the transactional messages (thank-you, voucher notices) an operation
    /// planned in its own transaction (<see cref="OperationResult{T}.Planned"/>). Nothing to do on a replay: what a crash
    /// left unenqueued is enqueued by the reconciliation.</summary>
    public Task EnqueueAsync(IReadOnlyList<OutboxRow> planned, CancellationToken ct) =>
        planned.Count == 0 ? Task.CompletedTask : planner.EnqueuePlannedAsync(planned, ct);

    // Replies go at once; transactional messages wait for the member's sending window.
    private OutboxRow Row(StoredMember member, Campaign campaign, string period, DateTimeOffset now, bool reply = false) => new()
    {
        Key = new OutboxKey(member.Id, campaign, period),
        Status = MessageStatus.Planned,
        PlannedAt = now,
        PlannedFor = reply ? now : Rules.SendingWindow.NextOpening(now, member.Profile.Zone),
    };
}
