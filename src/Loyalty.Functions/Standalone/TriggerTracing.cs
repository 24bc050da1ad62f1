using System.Diagnostics;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Standalone;

/// <summary>The runner's root operation of each message and each timer run, as the Functions host has one per
/// invocation: a span named after the function and its trigger (<c>RecordPurchaseFromQueue queue message</c>), tagged
/// with the function, the message id and the delivery count, under which the invocation request (its
/// <c>traceparent</c> header comes from this span), the storage calls that settle the message and the runner's log lines
/// about it all share one trace. Recorded only when telemetry is on (nothing listens otherwise).</summary>
public static class TriggerTracing
{
    public const string QueueMessage = "queue message";
    public const string ServiceBusMessage = "Service Bus message";
    public const string Timer = "timer";
    public const string AdminRun = "admin run";

    private static readonly ActivitySource Source = new(TelemetrySetup.TriggerSourceName);

    /// <summary>Starts the root operation of one run of <paramref name="function"/>. A queue or timer run has no parent
    /// (a Storage queue message carries no trace context); a Service Bus message continues the sender's trace when its
    /// <c>Diagnostic-Id</c> (W3C <c>traceparent</c>) says so; a run asked for through the admin endpoint starts its own
    /// trace, linked to the request that asked.</summary>
    public static Activity? Start(string function, string trigger, string? messageId = null, long? deliveryCount = null, string? traceParent = null, ActivityContext? link = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // The runner's loops have no ambient activity, but an admin run inherits the request's: a run is a root of its own.
        Activity.Current = null;
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var activity = Source.StartActivity(
            ActivityKind.Consumer,
            parent,
            [new("faas.trigger", trigger switch { Timer => "timer", QueueMessage or ServiceBusMessage => "pubsub", _ => "other" }), new("loyalty.function", function)],
            link is { } l ? [new ActivityLink(l)] : null,
            name: $"{function} {trigger}");
        if (messageId is not null)
        {
            activity?.SetTag("messaging.message.id", messageId);
        }

        if (deliveryCount is not null)
        {
            activity?.SetTag(TailSampler.DeliveryCountTag, deliveryCount.Value);
        }

        return activity;
    }

    /// <summary>Records how the invocation ended on the root operation.</summary>
    public static void Ended(this Activity? activity, InvocationOutcome outcome)
    {
        activity?.SetTag("loyalty.outcome", outcome.ToString().ToLowerInvariant());
        if (outcome != InvocationOutcome.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome.ToString());
        }
    }
}
