using Loyalty.Functions.Http;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Jobs;

/// <summary>The timer functions of the nightly point jobs, as the Functions host (or the standalone runner) invokes them.</summary>
public static class JobFunctions
{
    public const string ExpirePoints = "ExpirePoints";
    public const string ReviewTiers = "ReviewTiers";

    public static IEndpointRouteBuilder MapJobFunctions(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{ExpirePoints}", (HttpRequest request, NightlyJobs jobs, CancellationToken ct) =>
            RunAsync(request, jobs.ExpirePointsAsync, ct)).ExcludeFromDescription();
        app.MapPost($"/{ReviewTiers}", (HttpRequest request, NightlyJobs jobs, CancellationToken ct) =>
            RunAsync(request, jobs.ReviewTiersAsync, ct)).ExcludeFromDescription();
        return app;
    }

    // A failed run answers non-2xx so that the host records the failure; the next tick (or an admin run) picks up
    // where it stopped, since every member's change is idempotent for the day and processed hints are gone.
    private static async Task<JsonHttpResult<InvocationResult>> RunAsync(
        HttpRequest request, Func<CancellationToken, Task<JobRun>> job, CancellationToken ct)
    {
        var (invocation, error) = await FunctionInvocation.ReadAsync(request, ct);
        if (invocation is null)
        {
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"The invocation cannot be read: {error}.");
        }

        try
        {
            var run = await job(ct);
            return InvocationResult.Completed($"{run.Job} for {run.Day:yyyy-MM-dd}: looked at {run.Looked} members, changed {run.Changed}.");
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            return InvocationResult.Failed(StatusCodes.Status503ServiceUnavailable, "Storage is unavailable or busy; the run stopped part-way and can be run again.");
        }
    }
}
