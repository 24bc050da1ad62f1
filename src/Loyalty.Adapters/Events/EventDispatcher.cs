using System.Globalization;
using System.Threading.Channels;
using Azure.Messaging;
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
/// duplicate.</summary>
public sealed partial class EventDispatcher(EventOutbox outbox, EventSink? sink, EventSettings settings, string source, TimeProvider time, ILogger<EventDispatcher> logger)
{
    private readonly Channel<MemberId> signals = Channel.CreateUnbounded<MemberId>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Whether events leave at all; without a sink they stay in the outbox.</summary>
    public bool Enabled => sink is not null;

    public string Description => sink?.Description ?? "nowhere";

    /// <summary>The CloudEvents <c>source</c> of every event.</summary>
    public string Source => source;

    public void Signal(MemberId member) => signals.Writer.TryWrite(member);

    /// <summary>Publishes signalled members until <paramref name="stopping"/>. Members that failed are signalled again
    /// after a pause; the sweep covers a crash.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        if (sink is null)
        {
            return;
        }

        outbox.OnCommitted(Signal);
        var batch = new HashSet<MemberId>();
        while (await signals.Reader.WaitToReadAsync(stopping))
        {
            batch.Clear();
            while (batch.Count < settings.MembersPerBatch && signals.Reader.TryRead(out var member))
            {
                batch.Add(member);
            }

            DispatchRun run;
            try
            {
                run = await PublishAsync([.. batch], stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                LogDispatchFailed(logger, batch.Count, e.GetType().Name);
                run = new DispatchRun(0, batch.ToHashSet(), new HashSet<MemberId>());
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
    public async Task<DispatchRun> PublishAsync(IReadOnlyList<MemberId> members, CancellationToken ct)
    {
        if (sink is null || members.Count == 0)
        {
            return new DispatchRun(0, new HashSet<MemberId>(), new HashSet<MemberId>());
        }

        await gate.WaitAsync(ct);
        try
        {
            var reads = await Task.WhenAll(members.Select(m => outbox.ReadPendingAsync(m, settings.BatchSize, ct)));
            var cursors = reads.ToDictionary(r => r.Member, r => r.CursorETag);
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
                    cursors[g.Key] = await outbox.MarkPublishedAsync(g.Key, g.Max(x => x.Seq), cursors[g.Key], ct)));
                published += chunk.Count;
            }

            return new DispatchRun(published, failed, more);
        }
        finally
        {
            gate.Release();
        }
    }

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

    /// <summary>The CloudEvent of a stored event: <c>id</c> and <c>sequence</c> from the member's sequence number, so
    /// every delivery of it is the same event.</summary>
    public CloudEvent ToCloudEvent(StoredEvent e)
    {
        var cloudEvent = new CloudEvent(source, e.Type, BinaryData.FromString(e.DataJson), "application/json", CloudEventDataFormat.Json)
        {
            Id = e.Id,
            Subject = e.Subject,
            Time = e.Time,
        };
        cloudEvent.ExtensionAttributes["sequence"] = e.Sequence;
        return cloudEvent;
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
