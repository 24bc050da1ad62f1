using Loyalty.Adapters.Events;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Events;

/// <summary>The <c>PublishEvents</c> timer: the sweep that publishes what the dispatch right after the commit did not (a
/// crash, a topic that refused longer than the client retries).</summary>
public static class EventFunctions
{
    public const string PublishEvents = "PublishEvents";

    public static IEndpointRouteBuilder MapEventFunctions(this IEndpointRouteBuilder app)
    {
        app.MapInvocation<EventDispatcher>(PublishEvents, (_, dispatcher, _, ct) => SweepAsync(dispatcher, ct));
        return app;
    }

    private static async Task<JsonHttpResult<InvocationResult>> SweepAsync(EventDispatcher dispatcher, CancellationToken ct)
    {
        if (!dispatcher.Enabled)
        {
            return InvocationResult.Completed("No event publisher is configured (Events__TopicEndpoint or Events__Queue): events stay in the outbox.");
        }

        var run = await dispatcher.SweepAsync(ct);
        var summary = $"{PublishEvents}: {run.Members} members with a pending hint, {run.Published} events published, {run.Settled} hints settled, {run.Failed.Count} members failed.";
        return run.Failed.Count == 0
            ? InvocationResult.Completed(summary)
            : InvocationResult.Failed(StatusCodes.Status500InternalServerError, summary, $"Still pending (retried on the next run): {string.Join(", ", run.Failed.Take(50))}");
    }
}
