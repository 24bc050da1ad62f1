using Loyalty.Adapters.Events;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Jobs;

/// <summary>What a nightly job did: members it looked at (from hints), members it changed, and members it could not
/// process (their hints stay, so the next run tries them again).</summary>
public sealed record JobRun(string Job, DateOnly Day, int Looked, int Changed, IReadOnlyList<string> Failed);

/// <summary>The nightly point jobs. Each reads only the hints that are due, acts on each member through idempotent
/// operations keyed by the day (running twice, or on two instances at once, changes nothing more), and removes the
/// hints it has acted on. One member's failure does not stop the others: it is reported, and retried on the next run.</summary>
public sealed partial class NightlyJobs(MemberStore store, MemberIndexes indexes, EventOutbox outbox, TimeProvider time, ILogger<NightlyJobs> logger)
{
    private const int Parallelism = 8;

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

        LogRun(logger, job, today, looked, changed, failed.Count);
        return new JobRun(job, today, looked, changed, [.. failed.Order(StringComparer.Ordinal)]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} for {Day}: looked at {Looked} members, changed {Changed}, failed {Failed}")]
    private static partial void LogRun(ILogger logger, string job, DateOnly day, int looked, int changed, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}: member {MemberId} failed ({Error}, transient: {Transient}); the next run tries again")]
    private static partial void LogMemberFailed(ILogger logger, string job, string memberId, string error, bool transient);
}
