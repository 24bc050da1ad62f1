using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Program;
using Loyalty.Domain.Rules;

namespace Loyalty.Functions.Jobs;

/// <summary>What a nightly job did: members it looked at (from hints) and members it changed.</summary>
public sealed record JobRun(string Job, DateOnly Day, int Looked, int Changed);

/// <summary>The nightly point jobs. Each reads only the hints that are due, acts on each member through an idempotent
/// operation keyed by the day (running twice, or on two instances at once, changes nothing more), and removes the
/// hints it has acted on.</summary>
public sealed partial class NightlyJobs(MemberStore store, MemberIndexes indexes, ProgramDefinition program, TimeProvider time, ILogger<NightlyJobs> logger)
{
    private const string NothingToDo = "nothing-to-do";

    /// <summary>Posts an <c>expire</c> entry for every lot whose day has come.</summary>
    public Task<JobRun> ExpirePointsAsync(CancellationToken ct) =>
        RunAsync("expire", Tables.LotExpiry, ct, (posting, today, reference) => Expiry.Post(posting, today, reference) > Points.Zero);

    /// <summary>Re-evaluates the tier of members whose review day has come (downgrades happen only here).</summary>
    public Task<JobRun> ReviewTiersAsync(CancellationToken ct) =>
        RunAsync("tier-review", Tables.TierReview, ct, (posting, today, reference) => Tiering.Review(program.Tiers, posting, today, reference));

    private async Task<JobRun> RunAsync(string kind, string hintTable, CancellationToken ct, Func<Posting, DateOnly, string, bool> act)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var reference = $"{kind}-{today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        var key = new OperationKey(kind, OperationId.Parse(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        int looked = 0, changed = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct };
        await Parallel.ForEachAsync(indexes.DueAsync(hintTable, today, ct), options, async (hint, token) =>
        {
            Interlocked.Increment(ref looked);
            var result = await store.ExecuteAsync(hint.Member, key, reference, member =>
            {
                var posting = new Posting(member.Account, now);
                return act(posting, today, reference) ? Decision<bool>.Commit(posting, true) : Decision<bool>.Reject(NothingToDo);
            }, token, allowErased: true);
            if (result.Status == OperationStatus.Created)
            {
                Interlocked.Increment(ref changed);
            }

            await indexes.RemoveAsync(hint, token);
        });

        LogRun(logger, kind, today, looked, changed);
        return new JobRun(kind, today, looked, changed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} for {Day}: looked at {Looked} members, changed {Changed}")]
    private static partial void LogRun(ILogger logger, string job, DateOnly day, int looked, int changed);
}
