using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Http;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Outreach;

/// <summary>The outreach functions as the Functions host (or the standalone runner) invokes them: the three nightly
/// planners (timers), <c>SendOutreach</c> (queue <c>outreach</c>) and <c>SmsInbound</c> (Event Grid).</summary>
public static partial class OutreachFunctions
{
    public const string BirthdayGreetings = "BirthdayGreetings";
    public const string ExpiryWarnings = "ExpiryWarnings";
    public const string WinBack = "WinBack";
    public const string SendOutreach = "SendOutreach";
    public const string SmsInbound = "SmsInbound";

    /// <summary>The trigger bindings' names in the function.json files.</summary>
    public const string MessageBinding = "message";
    public const string EventBinding = "event";

    public static IServiceCollection AddOutreach(this IServiceCollection services)
    {
        services.AddAcsSms();
        services.AddSingleton<Outbox>();
        services.AddSingleton<OutreachQueue>();
        services.AddSingleton<OutreachPlanner>();
        services.AddSingleton<OutreachSender>();
        services.AddSingleton<SmsInboundHandler>();
        return services;
    }

    public static IEndpointRouteBuilder MapOutreachFunctions(this IEndpointRouteBuilder app)
    {
        app.MapPost($"/{BirthdayGreetings}", (HttpRequest request, OutreachPlanner planner, CancellationToken ct) =>
            PlanAsync(request, planner.BirthdaysAsync, ct)).ExcludeFromDescription();
        app.MapPost($"/{ExpiryWarnings}", (HttpRequest request, OutreachPlanner planner, CancellationToken ct) =>
            PlanAsync(request, planner.ExpiryWarningsAsync, ct)).ExcludeFromDescription();
        app.MapPost($"/{WinBack}", (HttpRequest request, OutreachPlanner planner, CancellationToken ct) =>
            PlanAsync(request, planner.WinBackAsync, ct)).ExcludeFromDescription();
        app.MapPost($"/{SendOutreach}", SendAsync).ExcludeFromDescription();
        app.MapPost($"/{SmsInbound}", InboundAsync).ExcludeFromDescription();
        return app;
    }

    // A failed run answers non-2xx so that the host records it; the next run picks up where it stopped: rows already
    // planned are found, and rows planned but not enqueued are enqueued again.
    private static async Task<JsonHttpResult<InvocationResult>> PlanAsync(HttpRequest request, Func<CancellationToken, Task<PlanRun>> planner, CancellationToken ct)
    {
        var (invocation, error) = await FunctionInvocation.ReadAsync(request, ct);
        if (invocation is null)
        {
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"The invocation cannot be read: {error}.");
        }

        try
        {
            var run = await planner(ct);
            return InvocationResult.Completed(
                $"{run.Planner} for {run.Day:yyyy-MM-dd}: looked at {run.Looked} members, planned {run.Planned}, skipped {run.Skipped}, re-enqueued {run.Requeued}, dropped {run.Dropped} stale hints.");
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            return InvocationResult.Failed(StatusCodes.Status503ServiceUnavailable, "Storage is unavailable or busy; the run stopped part-way and can be run again.");
        }
    }

    // Completed (200) whenever the job is settled: sent, skipped, deferred (a new job is on the queue), done before.
    // A transient failure answers 503, so the queue retries the job with the row's repeatability id (never a second SMS)
    // and moves it to outreach-poison after maxDequeueCount; a job that can never be read answers 400 and goes the same way.
    private static async Task<JsonHttpResult<InvocationResult>> SendAsync(HttpRequest request, OutreachSender sender, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(OutreachFunctions).FullName!);
        var (invocation, error) = await FunctionInvocation.ReadAsync(request, ct);
        if (invocation is null)
        {
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"The invocation cannot be read: {error}.");
        }

        var messageId = invocation.MetadataString("Id") ?? "(no id)";
        var (job, problem) = invocation.JsonValue(MessageBinding) is { } json ? JsonBody.Parse<OutreachJob>(json) : (null, null);
        if (job is null || problem is not null || !OutboxKey.TryCreate(job.MemberId, job.Campaign, job.Period, out var key))
        {
            LogUnreadableJob(logger, messageId);
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"Message {messageId} is not a send job {{ memberId, campaign, period }}; it goes to outreach-poison after its last retry.");
        }

        SendOutcome outcome;
        try
        {
            outcome = await sender.SendAsync(key, ct);
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            LogTransient(logger, key.Tag, messageId, e.GetType().Name);
            return InvocationResult.Failed(StatusCodes.Status503ServiceUnavailable, $"Message {messageId} ({key.Tag}): storage is unavailable or busy. It will be retried.");
        }

        var line = $"Message {messageId} ({key.Tag}): {outcome.Kind}: {outcome.Detail}.";
        return outcome.Kind switch
        {
            SendOutcomeKind.RetryLater => InvocationResult.Failed(StatusCodes.Status503ServiceUnavailable, line + " It will be retried with the same repeatability id."),
            SendOutcomeKind.NotConfigured => InvocationResult.Failed(StatusCodes.Status500InternalServerError, line),
            _ => InvocationResult.Completed(line),
        };
    }

    // A malformed event answers 400 (Event Grid retries and then dead-letters it when configured); an event this app
    // does not handle, or one about nobody it knows, is completed so that it is not redelivered for nothing.
    private static async Task<JsonHttpResult<InvocationResult>> InboundAsync(HttpRequest request, SmsInboundHandler handler, CancellationToken ct)
    {
        var (invocation, error) = await FunctionInvocation.ReadAsync(request, ct);
        if (invocation is null)
        {
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"The invocation cannot be read: {error}.");
        }

        try
        {
            var done = invocation.JsonValue(EventBinding) is { } json ? await handler.HandleAsync(json, ct) : null;
            return done is null
                ? InvocationResult.Failed(StatusCodes.Status400BadRequest, $"Data.{EventBinding} is not an Event Grid event or a list of them.")
                : InvocationResult.Completed(done);
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            return InvocationResult.Failed(StatusCodes.Status503ServiceUnavailable, "Storage is unavailable or busy; the event will be delivered again.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendOutreach: message {MessageId} is not a send job")]
    private static partial void LogUnreadableJob(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendOutreach {Tag}: transient failure on message {MessageId} ({Error}); it will be retried")]
    private static partial void LogTransient(ILogger logger, string tag, string messageId, string error);
}
