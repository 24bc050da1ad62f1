using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Loyalty.Functions.Telemetry;

/// <summary>Decides which traces go to the exporter once each has ended in this process, so that a trace is kept or
/// dropped whole: every trace with a failed request (status 400 or more), a failed span, an exception, a retried
/// invocation (delivery count above 1) or a log line at warning or above is kept; the others are kept by chance at the
/// rate <see cref="TraceSampling"/> sets, and carry that percentage as <c>microsoft.sample_rate</c> so that Application
/// Insights counts them right (a trace kept because it failed counts once). Spans wait here, per trace, until the last
/// open span of the trace ends; a trace that grows past <see cref="MaxSpans"/> or stays open past <see cref="MaxAge"/>
/// (a nightly job over many members) is decided then, and its later spans as they end.</summary>
public sealed class TailSampler(TraceSampling sampling, BaseProcessor<Activity> exporter) : BaseProcessor<Activity>
{
    /// <summary>The tag that marks a span of an invocation with its delivery (dequeue) count.</summary>
    public const string DeliveryCountTag = "loyalty.delivery_count";

    /// <summary>The tag with which the exporter reads the percentage of such traces kept.</summary>
    public const string SampleRateTag = "microsoft.sample_rate";

    /// <summary>The tag the HTTP client enrichment sets on a single-entity table read (see <see cref="TelemetrySetup"/>).</summary>
    public const string PointReadTag = "loyalty.point_read";

    /// <summary>The tag the HTTP client enrichment sets on a table creation (the app creates its tables if they do not
    /// exist at start-up, and a 409 says they do).</summary>
    public const string TableCreateTag = "loyalty.table_create";

    public const int MaxSpans = 1000;
    public const int MaxTraces = 10_000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private const int RememberDecisions = 10_000;

    private readonly ConcurrentDictionary<ActivityTraceId, Trace> open = new();
    private readonly ConcurrentDictionary<ActivityTraceId, bool> decided = new();
    private readonly ConcurrentQueue<ActivityTraceId> decidedOrder = new();
    private int ended;

    /// <summary>Whether an information line of the trace goes out: when the trace is (so far) kept.</summary>
    public bool IsKept(ActivityTraceId traceId) => open.TryGetValue(traceId, out var trace)
        ? trace.Kept
        : decided.TryGetValue(traceId, out var kept) ? kept : sampling.Draw(traceId).Kept;

    /// <summary>A line at warning or above was written in the trace: keep it whole.</summary>
    public void MarkKept(ActivityTraceId traceId)
    {
        if (open.TryGetValue(traceId, out var trace))
        {
            lock (trace)
            {
                trace.Failed = true;
            }
        }
    }

    public override void OnStart(Activity data)
    {
        while (true)
        {
            var trace = open.Count < MaxTraces || open.ContainsKey(data.TraceId)
                ? open.GetOrAdd(data.TraceId, NewTrace)
                : null;
            if (trace is null)
            {
                return;
            }

            lock (trace)
            {
                if (!trace.Done)
                {
                    trace.Open++;
                    return;
                }
            }

            // The trace was decided a moment ago: this span starts a later part of it.
            open.TryRemove(KeyValuePair.Create(data.TraceId, trace));
        }
    }

    public override void OnEnd(Activity data)
    {
        ForgiveExpectedAbsence(data);
        var failed = Failed(data);
        if (!open.TryGetValue(data.TraceId, out var trace))
        {
            // Started before this processor saw it, or when too many traces were open: decided alone.
            if (failed || (decided.TryGetValue(data.TraceId, out var kept) ? kept : sampling.Draw(data.TraceId).Kept))
            {
                Export(data, failed ? 100 : sampling.Draw(data.TraceId).Percentage);
            }

            return;
        }

        List<Activity>? release = null;
        var finished = false;
        double percentage;
        lock (trace)
        {
            trace.Failed |= failed;
            trace.Open--;
            if (trace.Streaming)
            {
                release = trace.Kept || failed ? [data] : null;
            }
            else
            {
                trace.Spans.Add(data);
            }

            finished = trace.Open <= 0;
            if (finished || (!trace.Streaming && (trace.Spans.Count >= MaxSpans || Stopwatch.GetElapsedTime(trace.Started) > MaxAge)))
            {
                // Decided now: what waited goes (or not), and from now on each span goes as it ends.
                release = trace.Kept ? [.. trace.Spans, .. release ?? []] : release;
                trace.Spans.Clear();
                trace.Streaming = true;
            }

            trace.Done = finished;
            percentage = trace.Failed ? 100 : trace.Percentage;
        }

        if (finished)
        {
            open.TryRemove(data.TraceId, out _);
            Remember(data.TraceId, trace.Kept);
        }

        foreach (var span in release ?? [])
        {
            Export(span, percentage);
        }

        if (Interlocked.Increment(ref ended) % 1000 == 0)
        {
            ReleaseStale();
        }
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => exporter.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        foreach (var (id, trace) in open)
        {
            Release(id, trace);
        }

        return exporter.Shutdown(timeoutMilliseconds);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            exporter.Dispose();
        }

        base.Dispose(disposing);
    }

    // A 404 of a single-entity read is an answer the code expects (it reads entities only with GetEntityIfExistsAsync),
    // and so is a 409 of a table creation (Tables.CreateAllAsync): not failed dependencies.
    private static void ForgiveExpectedAbsence(Activity span)
    {
        if (span.Kind == ActivityKind.Client
            && ((span.GetTagItem(PointReadTag) is true && StatusCode(span) == 404) || (span.GetTagItem(TableCreateTag) is true && StatusCode(span) == 409)))
        {
            span.SetStatus(ActivityStatusCode.Unset);
            span.SetTag("error.type", null);
        }
    }

    private static bool Failed(Activity span) =>
        span.Status == ActivityStatusCode.Error
        || (span.Kind == ActivityKind.Server && StatusCode(span) >= 400)
        || span.Events.Any(e => e.Name == "exception")
        || span.GetTagItem(DeliveryCountTag) is long and > 1 or int and > 1;

    private static int StatusCode(Activity span) => span.GetTagItem("http.response.status_code") switch
    {
        int i => i,
        long l => (int)l,
        string s when int.TryParse(s, out var i) => i,
        _ => 0,
    };

    private Trace NewTrace(ActivityTraceId id)
    {
        var (kept, percentage) = decided.TryGetValue(id, out var earlier) ? (earlier, sampling.Draw(id).Percentage) : sampling.Draw(id);
        return new Trace(kept, percentage);
    }

    private void Export(Activity span, double percentage)
    {
        span.SetTag(SampleRateTag, percentage);
        exporter.OnEnd(span);
    }

    private void Remember(ActivityTraceId id, bool kept)
    {
        decided[id] = kept;
        decidedOrder.Enqueue(id);
        while (decidedOrder.Count > RememberDecisions && decidedOrder.TryDequeue(out var oldest))
        {
            decided.TryRemove(oldest, out _);
        }
    }

    // Traces left open too long (a span that never ended) are decided with what they have.
    private void ReleaseStale()
    {
        foreach (var (id, trace) in open)
        {
            if (Stopwatch.GetElapsedTime(trace.Started) > MaxAge)
            {
                Release(id, trace);
            }
        }
    }

    private void Release(ActivityTraceId id, Trace trace)
    {
        List<Activity> spans;
        double percentage;
        lock (trace)
        {
            spans = trace.Kept ? [.. trace.Spans] : [];
            trace.Spans.Clear();
            trace.Streaming = true;
            percentage = trace.Failed ? 100 : trace.Percentage;
        }

        Remember(id, trace.Kept);
        foreach (var span in spans)
        {
            Export(span, percentage);
        }
    }

    private sealed class Trace(bool chance, double percentage)
    {
        public long Started { get; } = Stopwatch.GetTimestamp();

        public List<Activity> Spans { get; } = [];

        public double Percentage { get; } = percentage;

        public int Open { get; set; }

        public bool Failed { get; set; }

        public bool Streaming { get; set; }

        public bool Done { get; set; }

        public bool Kept => chance || Failed;
    }
}

/// <summary>Sends a log line to the exporter when it belongs to no trace, is a warning or worse (its trace is then kept
/// whole, see <see cref="TailSampler.MarkKept"/>), or belongs to a trace kept so far.</summary>
public sealed class TraceLogFilter(TailSampler traces, BaseProcessor<LogRecord> exporter) : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.TraceId == default)
        {
            exporter.OnEnd(data);
        }
        else if (data.LogLevel >= LogLevel.Warning)
        {
            traces.MarkKept(data.TraceId);
            exporter.OnEnd(data);
        }
        else if (traces.IsKept(data.TraceId))
        {
            exporter.OnEnd(data);
        }
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => exporter.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds) => exporter.Shutdown(timeoutMilliseconds);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            exporter.Dispose();
        }

        base.Dispose(disposing);
    }
}
