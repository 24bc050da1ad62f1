using Azure;
using Loyalty.Adapters.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Loyalty.Functions.Http;

/// <summary>Answers storage outages and exhausted concurrency retries with 503 and <c>Retry-After</c>: nothing was
/// written, and the same request can be sent again. Everything else is left to the default handler (a 500
/// problem without details).</summary>
public sealed partial class TransientFailures(ILogger<TransientFailures> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!IsTransient(exception))
        {
            return false;
        }

        // The exception message can quote keys and URLs: log only its kind and status.
        LogTransient(logger, context.Request.Path, exception.GetType().Name, (exception as RequestFailedException)?.Status);
        context.Response.Headers.RetryAfter = "1";
        await TypedResults.Problem(
            "Storage is unavailable or busy; nothing was recorded. Retry the same request.",
            statusCode: 503, title: "Service unavailable", type: Problems.StorageUnavailable).ExecuteAsync(context);
        return true;
    }

    public static bool IsTransient(Exception e) => e switch
    {
        ConcurrencyExhaustedException => true,
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500 || r.ErrorCode == "TableNotFound",
        HttpRequestException or TimeoutException => true,
        AggregateException a => a.InnerExceptions.All(IsTransient),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient failure on {Path}: {Error} (status {Status})")]
    private static partial void LogTransient(ILogger logger, string path, string error, int? status);
}
