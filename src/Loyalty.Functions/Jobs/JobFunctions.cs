using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Jobs;

/// <summary>The timer functions of the nightly point jobs, as the Functions host (or the standalone runner) invokes them.</summary>
public static class JobFunctions
{
    public const string ExpirePoints = "ExpirePoints";
    public const string ReviewTiers = "ReviewTiers";
    public const string CleanEvents = "CleanEvents";

    public static IEndpointRouteBuilder MapJobFunctions(this IEndpointRouteBuilder app)
    {
        app.MapInvocation<NightlyJobs>(ExpirePoints, (_, jobs, _, ct) => RunAsync(ct, jobs.ExpirePointsAsync));
        app.MapInvocation<NightlyJobs>(ReviewTiers, (_, jobs, _, ct) => RunAsync(ct, jobs.ReviewTiersAsync));

        // The nightly cleanup of what is kept only for a while: published events, and the replies to numbers no member has.
        app.MapInvocation<NightlyJobs>(CleanEvents, (_, jobs, _, ct) => RunAsync(ct, jobs.CleanEventsAsync, jobs.CleanNumbersAsync));
        return app;
    }

    // Every member (or number) is processed even when some fail; then a run with failures answers 500 so that the host
    // records the failed run (and alerts can fire). The failed ones stay, so the next run (or an admin run) retries them.
    private static async Task<JsonHttpResult<InvocationResult>> RunAsync(CancellationToken ct, params Func<CancellationToken, Task<JobRun>>[] jobs)
    {
        var runs = new List<JobRun>();
        foreach (var job in jobs)
        {
            runs.Add(await job(ct));
        }

        var summary = string.Join(" ", runs.Select(run =>
            $"{run.Job} for {run.Day:yyyy-MM-dd}: looked at {run.Looked} {run.Of}, changed {run.Changed}, failed {run.Failed.Count}."));
        var failed = runs.SelectMany(run => run.Failed).ToList();
        return failed.Count == 0
            ? InvocationResult.Completed(summary)
            : InvocationResult.Failed(StatusCodes.Status500InternalServerError, summary, $"Failed (retried on the next run): {string.Join(", ", failed.Take(50))}");
    }
}
