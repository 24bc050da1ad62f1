namespace Loyalty.Adapters.Events;

/// <summary>Where events go and how the outbox is kept (section <c>Events</c>: <c>Events__TopicEndpoint</c>, …).</summary>
public sealed class EventSettings
{
    public const string Section = "Events";

    /// <summary>The Event Grid topic endpoint (<c>https://&lt;topic&gt;.&lt;region&gt;-1.eventgrid.azure.net/api/events</c>); the
    /// client posts to it as the Event Grid SDK does.</summary>
    public Uri? TopicEndpoint { get; set; }

    /// <summary>The topic's access key, sent as <c>aeg-sas-key</c>; without it the app signs in with its identity
    /// (the "EventGrid Data Sender" role on the topic).</summary>
    public string? TopicKey { get; set; }

    /// <summary>A Storage queue of <c>AzureWebJobsStorage</c> to send the events to instead, one message per event
    /// (<c>loyalty-events</c> for local development).</summary>
    public string? Queue { get; set; }

    /// <summary>The CloudEvents <c>source</c>; by default made from the program's name (<c>/programs/corner-cafe-rewards</c>).</summary>
    public string? Source { get; set; }

    /// <summary>Events per request to the topic (Event Grid takes at most 1 MB per request; ours are well under 1 KB).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Members whose events one dispatch reads together.</summary>
    public int MembersPerBatch { get; set; } = 32;

    /// <summary>How long a member's pending hint stays after it was last written, so that a change in flight when the
    /// sweep looks still finds it.</summary>
    public TimeSpan HintSettle { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long published event rows are kept (for replays and audits) before the cleanup deletes them.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Retries of one request to the topic (429, 5xx, timeouts) by the client, with exponential back-off
    /// honouring <c>Retry-After</c>; what still fails is published later.</summary>
    public int MaxRetries { get; set; } = 5;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What is wrong with the settings, naming each setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (TopicEndpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("https" or "http")))
        {
            problems.Add("Events__TopicEndpoint: must be the topic's absolute https URL");
        }

        if (Queue is { Length: > 0 } queue && !System.Text.RegularExpressions.Regex.IsMatch(queue, "^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$"))
        {
            problems.Add("Events__Queue: must be a Storage queue name (3-63 lowercase letters, digits and single hyphens)");
        }

        if (BatchSize is < 1 or > 1000 || MembersPerBatch is < 1 or > 100)
        {
            problems.Add("Events__BatchSize (1-1000) and Events__MembersPerBatch (1-100) are out of range");
        }

        if (HintSettle <= TimeSpan.Zero || Retention <= TimeSpan.Zero || MaxRetries < 0)
        {
            problems.Add("Events__HintSettle and Events__Retention must be positive, Events__MaxRetries not negative");
        }

        return problems;
    }
}
