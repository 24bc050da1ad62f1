using Azure;
using Loyalty.Adapters.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Loyalty.Functions.Http;

/// <summary>Answers storage outages, storage timeouts and exhausted concurrency retries with 503 and <c>Retry-After</c>:
/// the same request can be sent again (every operation is idempotent by its id). Everything else is left to the default handler (a 500
/// problem without details).</summary>
public sealed partial class TransientFailures(ILogger<TransientFailures> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        // A request the client gave up on is not storage's failure (and has no one to answer).
        if (!IsTransient(exception) || context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        // The exception message can quote keys and URLs: log only its kind and status.
        LogTransient(logger, context.Request.Path, exception.GetType().Name, (exception as RequestFailedException)?.Status);
        context.Response.Headers.RetryAfter = "1";
        await TypedResults.Problem(
            "Storage is unavailable, busy or too slow to answer. Retry the same request: it is recorded once, whether or not this attempt was.",
            statusCode: 503, title: "Service unavailable", type: Problems.StorageUnavailable).ExecuteAsync(context);
        return true;
    }

    public static bool IsTransient(Exception e) => e switch
    {
        ConcurrencyExhaustedException => true,
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500 || r.ErrorCode == "TableNotFound",
        HttpRequestException or TimeoutException => true,

        // The SDK's network timeout (ClientOptions.Retry.NetworkTimeout) surfaces as a cancelled task, after its retries
        // inside an AggregateException: storage too slow to answer, which a retry of the same request may not meet.
        TaskCanceledException => true,
        AggregateException a => a.InnerExceptions.All(IsTransient),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient failure on {Path}: {Error} (status {Status})")]
    private static partial void LogTransient(ILogger logger, string path, string error, int? status);
}
