using Loyalty.Adapters.Events;
using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Jobs;

/// <summary>What a nightly job did: members it looked at (from hints), members it changed, and members it could not
/// process (their hints stay, so the next run tries them again). <paramref name="Of"/> says what was counted (members, or
/// the partitions of numbers no member has).</summary>
public sealed record JobRun(string Job, DateOnly Day, int Looked, int Changed, IReadOnlyList<string> Failed, string Of = "members");

/// <summary>The nightly point jobs. Each reads only the hints that are due, acts on each member through idempotent
/// operations keyed by the day (running twice, or on two instances at once, changes nothing more), and removes the
/// hints it has acted on. One member's failure does not stop the others: it is reported, and retried on the next run.</summary>
public sealed partial class NightlyJobs(
    MemberStore store, MemberIndexes indexes, EventOutbox outbox, Outbox messages, IOptions<AcsSmsOptions> sms, TimeProvider time, ILogger<NightlyJobs> logger)
{
    private const int Parallelism = 8;

    /// <summary>Rows of numbers' partitions one cleanup deletes at most; the rest go on the next night. What is kept is
    /// bounded by the retention (a few replies a day per number), so the scan is bounded too.</summary>
    public const int NumberRowsPerRun = 10_000;

    /// <summary>Expires every lot whose day has come, in as many parts as the member's due lots need.</summary>
    public Task<JobRun> ExpirePointsAsync(CancellationToken ct) => RunAsync(OperationKinds.Expiry, Tables.LotExpiry, ct, async (member, day, token) =>
    {
        // Parts done by an earlier run today replay; the run goes on until a part finds nothing (more) due, so lots that
        // came due since an earlier run are expired too.
        var changed = false;
        for (var part = 1; ; part++)
        {
            var result = await store.RunAsync(new ExpirePoints(member, day, part), token);
            changed |= result.Status == OperationStatus.Created;
            var more = result.Status == OperationStatus.Replayed || result is { Status: OperationStatus.Created, Value.MoreDue: true };
            if (!more)
            {
                return changed;
            }
        }
    });

    /// <summary>Re-evaluates the tier of members whose review day has come (downgrades happen only here).</summary>
    public Task<JobRun> ReviewTiersAsync(CancellationToken ct) => RunAsync(OperationKinds.TierReview, Tables.TierReview, ct, async (member, day, token) =>
        (await store.RunAsync(new ReviewTier(member, day), token)).Status == OperationStatus.Created);

    /// <summary>Deletes published event rows past the retention period, for the members whose rows became due.</summary>
    public Task<JobRun> CleanEventsAsync(CancellationToken ct) => RunAsync("event-cleanup", Tables.EventCleanup, ct, async (member, _, token) =>
        await outbox.CleanAsync(member, token) > 0);

    /// <summary>Deletes what is kept about numbers no member has (<see cref="Outbox.NumberPrefix"/> partitions): replies
    /// whose status is final and that were planned longer ago than <see cref="AcsSmsOptions.StrangerRetention"/>, and the
    /// counters of past UTC days; never a reply still planned or in sending. A partition that fails is logged by its key
    /// (a keyed hash, never the number) and tried again on the next run; the others go on.</summary>
    public async Task<JobRun> CleanNumbersAsync(CancellationToken ct)
    {
        const string job = "number-cleanup";
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        int looked = 0, changed = 0, deleted = 0;
        var failed = new List<string>();
        await foreach (var rows in messages.NumberRowsDueAsync(now - sms.Value.StrangerRetention, today, ct))
        {
            if (deleted >= NumberRowsPerRun)
            {
                break;
            }

            looked++;
            try
            {
                await messages.DeleteAsync(rows, ct);
                (changed, deleted) = (changed + 1, deleted + rows.RowKeys.Count);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failed.Add(rows.Partition.Value);
                LogMemberFailed(logger, job, rows.Partition.Value, e.GetType().Name, TransientFailures.IsTransient(e));
            }
        }

        LogRun(logger, job, today, looked, "numbers", changed, failed.Count);
        return new JobRun(job, today, looked, changed, failed, "numbers");
    }

    private async Task<JobRun> RunAsync(string job, string hintTable, CancellationToken ct, Func<MemberId, DateOnly, CancellationToken, Task<bool>> act)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        int looked = 0, changed = 0;
        var failed = new System.Collections.Concurrent.ConcurrentBag<string>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(indexes.DueAsync(hintTable, today, ct), options, async (hint, token) =>
        {
            Interlocked.Increment(ref looked);
            try
            {
                if (await act(hint.Member, today, token))
                {
                    Interlocked.Increment(ref changed);
                }

                await indexes.RemoveAsync(hint, token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                // The hint stays: the next run looks at the member again. Only the kind of failure is logged: messages
                // of storage exceptions can quote URLs.
                failed.Add(hint.Member.Value);
                LogMemberFailed(logger, job, hint.Member.Value, e.GetType().Name, TransientFailures.IsTransient(e));
            }
        });

        LogRun(logger, job, today, looked, "members", changed, failed.Count);
        return new JobRun(job, today, looked, changed, [.. failed.Order(StringComparer.Ordinal)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} for {Day}: looked at {Looked} {Of}, changed {Changed}, failed {Failed}")]
    private static partial void LogRun(ILogger logger, string job, DateOnly day, int looked, string of, int changed, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}: partition {MemberId} failed ({Error}, transient: {Transient}); the next run tries again")]
    private static partial void LogMemberFailed(ILogger logger, string job, string memberId, string error, bool transient);
}
