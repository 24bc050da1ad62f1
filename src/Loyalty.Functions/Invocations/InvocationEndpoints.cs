using System.Diagnostics;
using Loyalty.Functions.Http;
using Loyalty.Functions.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Invocations;

/// <summary>The one wrapper of every non-HTTP function: <c>POST /{FunctionName}</c> as the Functions host (or the
/// standalone runner) calls it. It reads the invocation (an unreadable one answers 400, so the trigger retries it and
/// then moves it to poison), runs the function, and answers 503 when storage is unavailable or busy, so the trigger
/// retries later. The function itself only maps its payload to a domain call and the outcome to an answer.</summary>
public static partial class InvocationEndpoints
{
    public static RouteHandlerBuilder MapInvocation<TService>(
        this IEndpointRouteBuilder app, string function, Func<FunctionInvocation, TService, ILogger, CancellationToken, Task<JsonHttpResult<InvocationResult>>> handle)
        where TService : notnull =>
        // The service is asked of the request's services rather than bound as a parameter: a delegate over a type
        // parameter is not one the compile-time endpoint generator (Native AOT) can generate.
        app.MapPost($"/{function}", async (HttpRequest request, ILoggerFactory loggers, CancellationToken ct) =>
        {
            var service = request.HttpContext.RequestServices.GetRequiredService<TService>();
            var logger = loggers.CreateLogger($"Loyalty.Functions.{function}");

            // Every line logged while the function runs carries the invocation id (its operation id comes from the
            // trace: the host's, or the runner's, through the request's traceparent header).
            var invocationId = request.Headers[FunctionInvocation.InvocationIdHeader].ToString();
            using var scope = logger.BeginScope(new Dictionary<string, object?> { ["InvocationId"] = invocationId, ["Function"] = function });
            Activity.Current?.SetTag("faas.invocation_id", invocationId);
            var (invocation, error) = await FunctionInvocation.ReadAsync(request, ct);
            if (invocation is null)
            {
                LogUnreadable(logger, function, error!);
                return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"The invocation cannot be read: {error}.");
            }

            // A retried delivery keeps its trace whatever the sampling (TailSampler).
            if ((invocation.MetadataNumber("DequeueCount") ?? invocation.MetadataNumber("DeliveryCount")) is { } delivery)
            {
                Activity.Current?.SetTag(TailSampler.DeliveryCountTag, delivery);
            }

            try
            {
                return await handle(invocation, service, logger, ct);
            }
            catch (Exception e) when (TransientFailures.IsTransient(e))
            {
                var message = invocation.LogId();
                LogTransient(logger, function, message, e.GetType().Name);
                return InvocationResult.Failed(
                    StatusCodes.Status503ServiceUnavailable, $"{function} ({message}): storage is unavailable or busy; nothing more was done. It will be retried.");
            }
        }).ExcludeFromDescription();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: unreadable invocation: {Error}")]
    private static partial void LogUnreadable(ILogger logger, string function, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: transient failure on {Message} ({Error}); it will be retried")]
    private static partial void LogTransient(ILogger logger, string function, string message, string error);
}
