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
        app.MapInvocation<NightlyJobs>(ExpirePoints, (_, jobs, _, ct) => RunAsync(jobs.ExpirePointsAsync, ct));
        app.MapInvocation<NightlyJobs>(ReviewTiers, (_, jobs, _, ct) => RunAsync(jobs.ReviewTiersAsync, ct));
        app.MapInvocation<NightlyJobs>(CleanEvents, (_, jobs, _, ct) => RunAsync(jobs.CleanEventsAsync, ct));
        return app;
    }

    // Every member is processed even when some fail; then a run with failures answers 500 so that the host records the
    // failed run (and alerts can fire). The failed members' hints stay, so the next run (or an admin run) retries them.
    private static async Task<JsonHttpResult<InvocationResult>> RunAsync(Func<CancellationToken, Task<JobRun>> job, CancellationToken ct)
    {
        var run = await job(ct);
        var summary = $"{run.Job} for {run.Day:yyyy-MM-dd}: looked at {run.Looked} members, changed {run.Changed}, failed {run.Failed.Count}.";
        return run.Failed.Count == 0
            ? InvocationResult.Completed(summary)
            : InvocationResult.Failed(StatusCodes.Status500InternalServerError, summary, $"Failed members (retried on the next run): {string.Join(", ", run.Failed.Take(50))}");
    }
}
