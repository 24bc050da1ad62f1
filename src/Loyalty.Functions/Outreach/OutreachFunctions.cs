using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Outreach;
using Loyalty.Functions.Http;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Outreach;

/// <summary>The outreach functions as the Functions host (or the standalone runner) invokes them: the three nightly
/// planners (timers), <c>SendOutreach</c> (queue <c>outreach</c>), <c>SmsInbound</c> (Event Grid) and
/// <c>ReconcileOutreach</c> (timer: messages left in sending).</summary>
public static partial class OutreachFunctions
{
    public const string BirthdayGreetings = "BirthdayGreetings";
    public const string ExpiryWarnings = "ExpiryWarnings";
    public const string WinBack = "WinBack";
    public const string SendOutreach = "SendOutreach";
    public const string SmsInbound = "SmsInbound";
    public const string ReconcileOutreach = "ReconcileOutreach";

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
        services.AddSingleton<MemberMessages>();
        services.AddSingleton<OutreachReconciler>();
        return services;
    }

    public static IEndpointRouteBuilder MapOutreachFunctions(this IEndpointRouteBuilder app)
    {
        app.MapInvocation<OutreachPlanner>(BirthdayGreetings, (_, planner, _, ct) => PlanAsync(planner.BirthdaysAsync, ct));
        app.MapInvocation<OutreachPlanner>(ExpiryWarnings, (_, planner, _, ct) => PlanAsync(planner.ExpiryWarningsAsync, ct));
        app.MapInvocation<OutreachPlanner>(WinBack, (_, planner, _, ct) => PlanAsync(planner.WinBackAsync, ct));
        app.MapInvocation<OutreachSender>(SendOutreach, SendAsync);
        app.MapInvocation<SmsInboundHandler>(SmsInbound, InboundAsync);
        app.MapInvocation<OutreachReconciler>(ReconcileOutreach, async (_, reconciler, _, ct) => InvocationResult.Completed((await reconciler.ReconcileAsync(ct)).ToString()));
        return app;
    }

    // A failed run answers non-2xx so that the host records it; the next run picks up where it stopped: rows already
    // planned are found, and rows planned but not enqueued are enqueued again.
    private static async Task<JsonHttpResult<InvocationResult>> PlanAsync(Func<CancellationToken, Task<PlanRun>> planner, CancellationToken ct)
    {
        var run = await planner(ct);
        return InvocationResult.Completed(
            $"{run.Planner} for {run.Day:yyyy-MM-dd}: looked at {run.Looked} members, planned {run.Planned}, skipped {run.Skipped}, re-enqueued {run.Requeued}, dropped {run.Dropped} stale hints.");
    }

    // Completed (200) whenever the job is settled: sent, skipped, deferred (a new job is on the queue), done before.
    // A transient failure answers 503, so the queue retries the job with the row's repeatability id (never a second SMS)
    // and moves it to outreach-poison after maxDequeueCount; a job that can never be read answers 400 and goes the same way.
    private static async Task<JsonHttpResult<InvocationResult>> SendAsync(FunctionInvocation invocation, OutreachSender sender, ILogger logger, CancellationToken ct)
    {
        var messageId = invocation.LogId();
        var (job, problem) = invocation.JsonValue(MessageBinding) is { } json ? JsonBody.Parse<OutreachJob>(json, skipUnknown: true) : (null, null);
        if (job is null || problem is not null || !OutboxKey.TryCreate(job.MemberId, job.Campaign, job.Period, out var key))
        {
            LogUnreadableJob(logger, messageId);
            return InvocationResult.Failed(StatusCodes.Status400BadRequest, $"Message {messageId} is not a send job {{ memberId, campaign, period }}; it goes to outreach-poison after its last retry.");
        }

        var outcome = await sender.SendAsync(key, ct);
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
    private static async Task<JsonHttpResult<InvocationResult>> InboundAsync(FunctionInvocation invocation, SmsInboundHandler handler, ILogger logger, CancellationToken ct)
    {
        var done = invocation.JsonValue(EventBinding) is { } json ? await handler.HandleAsync(json, ct) : null;
        return done is null
            ? InvocationResult.Failed(StatusCodes.Status400BadRequest, $"Data.{EventBinding} is not an Event Grid event or a list of them.")
            : InvocationResult.Completed(done);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SendOutreach: message {MessageId} is not a send job")]
    private static partial void LogUnreadableJob(ILogger logger, string messageId);
}
