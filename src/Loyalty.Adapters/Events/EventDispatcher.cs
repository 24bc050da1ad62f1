using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Azure;
using Loyalty.Domain;
using Microsoft.Extensions.Logging;

namespace Loyalty.Adapters.Events;

/// <summary>What one dispatch did: events sent and marked published, and the members that still have events pending
/// (more than one dispatch reads, or a request the topic did not accept).</summary>
public sealed record DispatchRun(int Published, IReadOnlySet<MemberId> Failed, IReadOnlySet<MemberId> More);

/// <summary>What a sweep did: members with a pending hint, events published, hints settled, members that failed.</summary>
public sealed record SweepRun(int Members, int Published, int Settled, IReadOnlyList<string> Failed);

/// <summary>Publishes the outbox. Two triggers feed it: each commit that adds events signals its member, and a loop
/// publishes the signalled members at once, several members per request under load; a timer sweep publishes what is
/// left (a crash or a failed request after the commit) from the members with a pending hint. Per member, events go out
/// in sequence order: a request holds a contiguous run of each member's events from the first unpublished one, and the
/// cursor moves only after the topic accepted them. So a crash or a throttled topic only delays publication, and an
/// event may go out twice (consumers de-duplicate by <c>source</c> + <c>id</c>), never out of order and never for a
/// change that did not commit. One dispatch runs at a time in a process; instances may overlap, which can only
/// duplicate. The dispatch right after a commit publishes the committed events as the commit made them, without reading
/// them back, when this process published the member's events just before them (it remembers each member's cursor);
/// otherwise it reads what is pending from the member's partition.</summary>
public sealed partial class EventDispatcher(EventOutbox outbox, EventSink? sink, EventSettings settings, string source, TimeProvider time, ILogger<EventDispatcher> logger)
{
    private readonly Channel<(MemberId Member, IReadOnlyList<StoredEvent>? Events)> signals =
        Channel.CreateUnbounded<(MemberId, IReadOnlyList<StoredEvent>?)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly SemaphoreSlim gate = new(1, 1);

    // What this process last marked published per member, and the cursor row's ETag after it. Never ahead of the cursor
    // row (it only moves forward), so events right after it are the member's next pending ones.
    private readonly ConcurrentDictionary<MemberId, (long Published, ETag? ETag)> cursors = new();

    /// <summary>Whether events leave at all; without a sink they stay in the outbox.</summary>
    public bool Enabled => sink is not null;

    public string Description => sink?.Description ?? "nowhere";

    /// <summary>The CloudEvents <c>source</c> of every event.</summary>
    public string Source => source;

    /// <summary>Asks for the member's pending events to be published (read from the outbox).</summary>
    public void Signal(MemberId member) => signals.Writer.TryWrite((member, null));

    /// <summary>Publishes signalled members until <paramref name="stopping"/>. Members that failed are signalled again
    /// after a pause; the sweep covers a crash.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        if (sink is null)
        {
            return;
        }

        outbox.OnCommitted(events => signals.Writer.TryWrite((events[0].Member, events)));
        var batch = new Dictionary<MemberId, IReadOnlyList<StoredEvent>?>();
        var reader = signals.Reader;
        while (await reader.WaitToReadAsync(stopping))
        {
            batch.Clear();
            while (reader.TryPeek(out var next) && (batch.Count < settings.MembersPerBatch || batch.ContainsKey(next.Member)) && reader.TryRead(out next))
            {
                // A member's commits signal in commit order: their events join up; a signal without events reads them all.
                batch[next.Member] = batch.TryGetValue(next.Member, out var earlier)
                    ? (earlier is null || next.Events is null ? null : [.. earlier, .. next.Events])
                    : next.Events;
            }

            DispatchRun run;
            try
            {
                run = await PublishAsync(batch, stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                LogDispatchFailed(logger, batch.Count, e.GetType().Name);
                run = new DispatchRun(0, batch.Keys.ToHashSet(), new HashSet<MemberId>());
            }

            foreach (var member in run.More)
            {
                Signal(member);
            }

            if (run.Failed.Count > 0)
            {
                _ = SignalLaterAsync(run.Failed, stopping);
            }
        }
    }

    /// <summary>Publishes what the members have pending (up to <see cref="EventSettings.BatchSize"/> events each).</summary>
    public Task<DispatchRun> PublishAsync(IReadOnlyList<MemberId> members, CancellationToken ct) =>
        PublishAsync(members.Distinct().ToDictionary(m => m, _ => (IReadOnlyList<StoredEvent>?)null), ct);

    private async Task<DispatchRun> PublishAsync(IReadOnlyDictionary<MemberId, IReadOnlyList<StoredEvent>?> due, CancellationToken ct)
    {
        if (sink is null || due.Count == 0)
        {
            return new DispatchRun(0, new HashSet<MemberId>(), new HashSet<MemberId>());
        }

        await gate.WaitAsync(ct);
        try
        {
            var reads = await Task.WhenAll(due.Select(d => PendingAsync(d.Key, d.Value, ct)));
            var etags = reads.ToDictionary(r => r.Member, r => r.CursorETag);
            var more = reads.Where(r => r.More).Select(r => r.Member).ToHashSet();
            var failed = new HashSet<MemberId>();
            var published = 0;
            var events = reads.SelectMany(r => r.Events).ToList();
            for (var start = 0; start < events.Count; start += settings.BatchSize)
            {
                var chunk = events.GetRange(start, Math.Min(settings.BatchSize, events.Count - start));
                try
                {
                    await sink.SendAsync([.. chunk.Select(ToCloudEvent)], ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // Nothing after a refused request may go out before it: its members and the rest wait for the next try.
                    LogSendFailed(logger, chunk.Count, e.GetType().Name, (e as Azure.RequestFailedException)?.Status ?? 0);
                    failed.UnionWith(events.Skip(start).Select(x => x.Member));
                    break;
                }

                await Task.WhenAll(chunk.GroupBy(x => x.Member).Select(async g =>
                {
                    var seq = g.Max(x => x.Seq);
                    var etag = await outbox.MarkPublishedAsync(g.Key, seq, etags[g.Key], ct);
                    (etags[g.Key], this.cursors[g.Key]) = (etag, (seq, etag));
                }));
                published += chunk.Count;
            }

            return new DispatchRun(published, failed, more);
        }
        finally
        {
            gate.Release();
        }
    }

    // The member's pending events: those just committed when they follow what this process published last, else read.
    private Task<PendingEvents> PendingAsync(MemberId member, IReadOnlyList<StoredEvent>? committed, CancellationToken ct) =>
        committed is { Count: > 0 } && cursors.TryGetValue(member, out var cursor) && cursor.Published == committed[0].Seq - 1
            && committed.Select((e, i) => e.Seq == committed[0].Seq + i).All(next => next)
            ? Task.FromResult(new PendingEvents(member, cursor.Published, cursor.ETag, committed, More: false))
            : outbox.ReadPendingAsync(member, settings.BatchSize, ct);

    /// <summary>Publishes every member with a pending hint, then settles the hints of members who have published
    /// everything and whose hint is older than the settle time (a change in flight has committed by then).</summary>
    public async Task<SweepRun> SweepAsync(CancellationToken ct)
    {
        var hints = await outbox.PendingHintsAsync(ct);
        if (sink is null)
        {
            return new SweepRun(hints.Count, 0, 0, []);
        }

        var published = 0;
        var failed = new HashSet<MemberId>();
        foreach (var chunk in hints.Select(h => h.Member).Chunk(settings.MembersPerBatch))
        {
            var todo = chunk.ToList();
            for (var round = 0; todo.Count > 0 && round < 100; round++)
            {
                var run = await PublishAsync(todo, ct);
                published += run.Published;
                failed.UnionWith(run.Failed);
                todo = [.. run.More.Except(run.Failed)];
            }
        }

        var settled = 0;
        var cutoff = time.GetUtcNow() - settings.HintSettle;
        foreach (var hint in hints.Where(h => h.WrittenAt < cutoff && !failed.Contains(h.Member)))
        {
            await outbox.SettleAsync(hint, ct);
            settled++;
        }

        var failures = failed.Select(m => m.Value).Order(StringComparer.Ordinal).ToList();
        LogSwept(logger, hints.Count, published, settled, failures.Count);
        return new SweepRun(hints.Count, published, settled, failures);
    }

    /// <summary>The CloudEvent of a stored event in the structured JSON format (CloudEvents 1.0): <c>id</c> and
    /// <c>sequence</c> from the member's sequence number, so every delivery of it is the same event; the data as the
    /// outbox stored it. Written here rather than through the SDK's <c>CloudEvent</c>, whose serializer needs
    /// reflection, which the handler does not have under Native AOT.</summary>
    public ReadOnlyMemory<byte> ToCloudEvent(StoredEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", "1.0");
            json.WriteString("id", e.Id);
            json.WriteString("source", source);
            json.WriteString("type", e.Type);
            json.WriteString("subject", e.Subject);
            json.WriteString("time", e.Time);
            json.WriteString("sequence", e.Sequence);
            json.WriteString("datacontenttype", "application/json");
            json.WritePropertyName("data");
            json.WriteRawValue(e.DataJson);
            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The default CloudEvents <c>source</c>: <c>/programs/</c> and the program's name in lower case, letters
    /// and digits only (accents dropped), words joined by hyphens.</summary>
    public static string SourceFor(string programName)
    {
        var text = programName.Normalize(System.Text.NormalizationForm.FormD);
        var slug = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark && slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var name = slug.ToString().Trim('-');
        return $"/programs/{(name.Length > 0 ? name : "loyalty")}";
    }

    private async Task SignalLaterAsync(IEnumerable<MemberId> members, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), stopping);
            foreach (var member in members)
            {
                Signal(member);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} events failed ({Error}, status {Status}); they stay pending and are tried again")]
    private static partial void LogSendFailed(ILogger logger, int count, string error, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dispatch of {Members} members failed ({Error}); they are tried again")]
    private static partial void LogDispatchFailed(ILogger logger, int members, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event sweep: {Members} members with a pending hint, {Published} events published, {Settled} hints settled, {Failed} members failed")]
    private static partial void LogSwept(ILogger logger, int members, int published, int settled, int failed);
}
