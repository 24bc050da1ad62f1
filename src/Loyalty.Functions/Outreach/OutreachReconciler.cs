using Loyalty.Adapters.Storage;
using Loyalty.Domain.Outreach;

namespace Loyalty.Functions.Outreach;

/// <summary>What a reconciliation run did with the messages it found in sending.</summary>
/// <param name="Confirmed">ACS said it had taken them: now sent.</param>
/// <param name="Retried">No call for them can have reached ACS: planned again, a send job enqueued.</param>
/// <param name="Left">Attempted too recently, or ACS could not answer now: looked at again on the next run.</param>
/// <param name="Resolved">Found with a final status already, or planned with their send job on the queue (their hint is removed).</param>
/// <param name="Enqueued">Planned in an operation's transaction and their send job lost (the app stopped right after the
/// commit): enqueued now.</param>
public sealed record ReconcileRun(int Looked, int Confirmed, int Retried, int Failed, int Unconfirmed, int Left, int Resolved, int Enqueued = 0)
{
    public override string ToString() =>
        $"ReconcileOutreach: looked at {Looked} messages in sending: confirmed sent {Confirmed}, retried {Retried}, failed {Failed}, unconfirmed {Unconfirmed}, left for the next run {Left}, resolved already {Resolved}, send jobs enqueued again {Enqueued}.";
}

/// <summary><c>ReconcileOutreach</c>: resolves messages left in <c>sending</c>, because their send job ended in
/// <c>outreach-poison</c> or the app stopped mid-send. It reads the sending index (only messages in flight or left
/// behind are there), re-reads each row and decides with <see cref="Reconciling.Decide"/>: a message whose calls can none
/// have reached ACS goes back to planned and is sent in the same campaign period if it is still true then (with a new
/// repeatability id: nothing went out with the old one); one that may have gone out is sent again with its own
/// repeatability id and first-sent time through <see cref="OutreachSender"/>, so ACS tells what became of it: accepted
/// (sent, never twice), rejected (failed), or no longer known (unconfirmed: never sent again). The index also lists the
/// messages an operation planned in its own transaction (a thank-you, a voucher notice) until their send job is on the
/// queue: one still not enqueued a while after it was planned lost its job to a crash after the commit, and is enqueued.</summary>
public sealed partial class OutreachReconciler(Outbox outbox, OutreachSender sender, OutreachQueue queue, TimeProvider time, ILogger<OutreachReconciler> logger)
{
    private const int Parallelism = 8;

    public async Task<ReconcileRun> ReconcileAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var counts = new int[8];
        void Count(int which) => Interlocked.Increment(ref counts[which]);
        await Parallel.ForEachAsync(outbox.SendingAsync(ct), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (hint, token) =>
        {
            Count(0);
            var key = hint.Key;
            var state = await outbox.LoadAsync(key.Member, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-8), token);
            var row = state.Row(key);
            var settled = hint.WrittenAt is not { } written || written < now - OutreachPlanner.EnqueueGrace;
            switch (row)
            {
                case { Status: MessageStatus.Sending }:
                    break;
                case { Status: MessageStatus.Planned, Enqueued: false } when settled && row.PlannedAt < now - OutreachPlanner.EnqueueGrace:
                    await EnqueueLostAsync(row, now, hint, token);
                    Count(7);
                    return;
                case null or { Status: MessageStatus.Planned } when !settled || row is { Enqueued: false }:
                    // The hint of a transaction that may not have committed yet, or a plan whose enqueue may be under way.
                    Count(5);
                    return;
                default:
                    await outbox.ForgetSendingAsync(key, token, hint.ETag);
                    Count(6);
                    return;
            }

            switch (Reconciling.Decide(row.Facts, now))
            {
                case Reconciliation.Retry when await RetryAsync(row, state.Slots, now, token):
                    LogRetried(logger, key.Campaign.Name(), key.Period, key.Member.Value, row.Calls);
                    Count(2);
                    break;
                case Reconciliation.Ask:
                    var outcome = await sender.SendAsync(key, token);
                    LogAsked(logger, key.Campaign.Name(), key.Period, key.Member.Value, outcome.Kind.ToString());
                    Count(outcome.Kind switch
                    {
                        SendOutcomeKind.Sent => 1,
                        SendOutcomeKind.Failed => 3,
                        SendOutcomeKind.Unconfirmed => 4,
                        SendOutcomeKind.AlreadyDone or SendOutcomeKind.NotFound or SendOutcomeKind.Skipped => 6,
                        _ => 5,
                    });
                    break;
                default:
                    Count(5);
                    break;
            }
        });

        var run = new ReconcileRun(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7]);
        LogRun(logger, run.Looked, run.Confirmed, run.Retried, run.Failed, run.Unconfirmed, run.Left, run.Enqueued);
        return run;
    }

    // A message planned in an operation's transaction whose send job was never enqueued: enqueued as the planner does
    // (due at its planned time), then its hint goes. A job enqueued twice is harmless: the sender acts on the row's status.
    private async Task EnqueueLostAsync(OutboxRow row, DateTimeOffset now, SendingHint hint, CancellationToken ct)
    {
        await queue.EnqueueAsync(row.Key, row.PlannedFor - now, ct);
        await outbox.UpdateAsync(row with { Enqueued = true }, ct);
        await outbox.ForgetSendingAsync(row.Key, ct, hint.ETag);
        LogEnqueued(logger, row.Key.Campaign.Name(), row.Key.Period, row.Key.Member.Value);
    }

    // Back to planned with nothing of the old attempt (a new repeatability id is made when it is begun again) and the day's
    // slot it took given back (nothing went out on it), then the send job, as a planner enqueues one: it goes out in the
    // member's sending window, under the caps, while still true.
    private async Task<bool> RetryAsync(OutboxRow row, IReadOnlyList<SendSlot> slots, DateTimeOffset now, CancellationToken ct)
    {
        var planned = row.MoveTo(MessageStatus.Planned, "retry: no call reached ACS") with
        {
            PlannedFor = now,
            Enqueued = false,
            RepeatabilityRequestId = null,
            RepeatabilityFirstSent = null,
            Calls = 0,
            Refused = 0,
        };
        var taken = slots.Where(s => s.Campaign == row.Key.Campaign.Name() && s.Period == row.Key.Period).Select(s => s.Day);
        if (await outbox.ReplanAsync(planned, taken, ct) is not { } stored)
        {
            // Changed since it was read: the next run looks again.
            return false;
        }

        await queue.EnqueueAsync(row.Key, TimeSpan.Zero, ct);
        await outbox.UpdateAsync(stored with { Enqueued = true }, ct);
        await outbox.ForgetSendingAsync(row.Key, ct);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ReconcileOutreach: looked at {Looked} messages in sending: confirmed {Confirmed}, retried {Retried}, failed {Failed}, unconfirmed {Unconfirmed}, left {Left}, enqueued again {Enqueued}")]
    private static partial void LogRun(ILogger logger, int looked, int confirmed, int retried, int failed, int unconfirmed, int left, int enqueued);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ReconcileOutreach: {Campaign} {Period} for {MemberId} was planned but its send job was lost; enqueued it")]
    private static partial void LogEnqueued(ILogger logger, string campaign, string period, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ReconcileOutreach: {Campaign} {Period} for {MemberId} was left in sending with {Calls} calls none of which reached ACS; planned again")]
    private static partial void LogRetried(ILogger logger, string campaign, string period, string memberId, int calls);

    [LoggerMessage(Level = LogLevel.Information, Message = "ReconcileOutreach: asked ACS about {Campaign} {Period} for {MemberId}: {Outcome}")]
    private static partial void LogAsked(ILogger logger, string campaign, string period, string memberId, string outcome);
}
