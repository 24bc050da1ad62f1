namespace Loyalty.Functions.Http;

/// <summary>Answers requests that fail because of the client, not the app (a body sent too slowly, a connection cut
/// while the body was read), with their status as a problem, logged as information without a stack trace: they are
/// not the app's errors and must not page anyone.</summary>
public sealed partial class ClientFailures(ILogger<ClientFailures> logger) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        LogClientFailure(logger, context.Request.Path, bad.StatusCode, bad.Message);
        if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            await TypedResults.Problem(
                bad.StatusCode == StatusCodes.Status408RequestTimeout ? "The request body arrived too slowly." : "The request could not be read.",
                statusCode: bad.StatusCode,
                title: bad.StatusCode == StatusCodes.Status408RequestTimeout ? "Request timeout" : "Bad request",
                type: Problems.TypeOf(bad.StatusCode == StatusCodes.Status408RequestTimeout ? "request-timeout" : "bad-request")).ExecuteAsync(context);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request to {Path} failed on the client's side ({Status}): {Reason}")]
    private static partial void LogClientFailure(ILogger logger, string path, int status, string reason);
}
