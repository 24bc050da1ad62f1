using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;
using Loyalty.Functions.Telemetry;

namespace Loyalty.Functions.Outreach;

/// <summary>What a planner run did: hints it acted on (members it read), messages it planned, messages it recorded as
/// skipped at once, send jobs it enqueued again, and stale hints it dropped.</summary>
public sealed record PlanRun(string Planner, DateOnly Day, int Looked, int Planned, int Skipped, int Requeued, int Dropped);

/// <summary>The nightly outreach planners (<c>BirthdayGreetings</c>, <c>ExpiryWarnings</c>, <c>WinBack</c>). Each reads
/// only the index hints that can be due, skips hints it marked done on an earlier night, re-reads the member behind each
/// other one, and for each (campaign, period) that is due adds the member's outbox row and enqueues its send job,
/// invisible until the member's sending window. Adding the row is what makes a plan happen once: a second run, or a
/// run in parallel, finds it and plans nothing.</summary>
public sealed partial class OutreachPlanner(
    MemberStore store,
    MemberIndexes indexes,
    Outbox outbox,
    OutreachQueue queue,
    ProgramDefinition program,
    TimeProvider time,
    LoyaltyMetrics metrics,
    ILogger<OutreachPlanner> logger)
{
    /// <summary>A hint written this recently may belong to a change that has not committed yet (hints are written
    /// first): it is never dropped as stale.</summary>
    public static readonly TimeSpan HintSettle = TimeSpan.FromMinutes(10);

    /// <summary>A row planned this long ago that is still not enqueued lost its send job (the enqueue failed, or the
    /// run stopped in between): the next run enqueues it. A younger one belongs to a run still at work.</summary>
    public static readonly TimeSpan EnqueueGrace = TimeSpan.FromMinutes(5);

    private const int Parallelism = 8;

    private OutreachDefinition Rules => program.Outreach;

    /// <summary>Plans birthday greetings for members whose birthday is today or tomorrow in their own time zone, into
    /// the sending window of the birthday itself, and credits the birthday bonus (if the program has one) on the day.</summary>
    public async Task<PlanRun> BirthdaysAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var run = new Counters();
        foreach (var (partition, day) in OutreachRules.BirthdayPartitions(today))
        {
            await ForEachAsync(indexes.PartitionAsync(Tables.Birthdays, partition, ct), ct, (hint, token) => BirthdayAsync(hint, day, now, run, token));
        }

        return Finish("BirthdayGreetings", today, run);
    }

    /// <summary>Plans one expiry warning per member and expiry day for points expiring within
    /// <see cref="OutreachDefinition.ExpiryWarningDays"/> days (from tomorrow: today's are already expiring).</summary>
    public async Task<PlanRun> ExpiryWarningsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var run = new Counters();
        var hints = indexes.RangeAsync(Tables.LotExpiry, MemberIndexes.DayKey(today.AddDays(1)), MemberIndexes.DayKey(today.AddDays(Rules.ExpiryWarningDays)), ct);
        await ForEachAsync(hints, ct, (hint, token) => ExpiryAsync(hint, now, run, token));
        return Finish("ExpiryWarnings", today, run);
    }

    /// <summary>Plans win-back messages for members whose last purchase is in the at-risk or the lapsed range: one per
    /// segment and dormancy (the period is the last purchase's day, so a new purchase starts a new dormancy).</summary>
    public async Task<PlanRun> WinBackAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var run = new Counters();
        var w = Rules.WinBack;
        var hints = indexes.RangeAsync(Tables.LastPurchase, MemberIndexes.DayKey(today.AddDays(1 - w.GiveUpDays)), MemberIndexes.DayKey(today.AddDays(-w.AtRiskDays)), ct);
        await ForEachAsync(hints, ct, (hint, token) => WinBackAsync(hint, today, now, run, token));
        return Finish("WinBack", today, run);
    }

    private async ValueTask BirthdayAsync(Hint hint, DateOnly day, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        var key = OutreachRules.Period(day.Year);
        var mark = Mark(Campaign.Birthday, key);
        if (hint.Mark == mark)
        {
            return;
        }

        run.Look();
        var member = await store.GetAsync(hint.Member, ct);
        if (member is null || member.IsErased || member.Profile.Birthday?.MonthDay != hint.Partition)
        {
            await DropAsync(hint, now, run, ct);
            return;
        }

        var zone = member.Profile.Zone;
        var localToday = SendingWindows.LocalDay(now, zone);
        if (OutreachRules.UpcomingBirthday(member.Profile.Birthday!.Value, localToday) != day)
        {
            // Not today or tomorrow where the member lives: an earlier or a later run's.
            return;
        }

        // The bonus first, so that a greeting sent at once shows the balance with it. It is due on the day itself: when
        // the birthday is tomorrow, tomorrow's run comes back for it.
        var bonusDone = true;
        if (program.Bonuses.Birthday is { } bonus)
        {
            bonusDone = day == localToday;
            if (bonusDone)
            {
                await CreditBirthdayAsync(member.Id, bonus, day, ct);
            }
        }

        var (opens, closes) = Rules.SendingWindow.On(day, zone);
        var plannedFor = now < opens ? opens : now;
        var planned = await PlanAsync(member, new OutboxKey(member.Id, Campaign.Birthday, key), plannedFor, now >= closes ? "window-closed" : null, null, now, run, ct);
        if (planned && bonusDone)
        {
            await indexes.MarkAsync(hint, mark, ct);
        }
    }

    private async ValueTask ExpiryAsync(Hint hint, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(hint.Partition, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return;
        }

        var mark = Mark(Campaign.ExpiryWarning, OutreachRules.Period(day));
        if (hint.Mark == mark)
        {
            return;
        }

        run.Look();
        var member = await store.GetAsync(hint.Member, ct);
        var lot = member?.Account.Lots.FirstOrDefault(l => l.ExpiresOn == day && l.Remaining > Points.Zero);
        if (member is null || (lot is null && !member.Account.VouchersAt(now).Any(v => v.Status == VoucherStatus.Active && v.ExpiresOn == day)))
        {
            await DropAsync(hint, now, run, ct);
            return;
        }

        if (lot is null)
        {
            // Only vouchers expire that day: the nightly expiry needs the hint; the warning is about points.
            await indexes.MarkAsync(hint, mark, ct);
            return;
        }

        // The nightly expiry still needs the hint of an erased member (their points expire all the same): keep it.
        var done = member.IsErased || await PlanExpiryAsync(member, day, lot, now, run, ct);
        if (done)
        {
            await indexes.MarkAsync(hint, mark, ct);
        }
    }

    private Task<bool> PlanExpiryAsync(StoredMember member, DateOnly day, Lot lot, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        var plannedFor = Rules.SendingWindow.NextOpening(now, member.Profile.Zone);
        var expiresAt = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var skip = plannedFor >= expiresAt ? "expires-before-window" : null;
        return PlanAsync(member, new OutboxKey(member.Id, Campaign.ExpiryWarning, OutreachRules.Period(day)), plannedFor, skip, lot.Remaining.Value, now, run, ct);
    }

    private async ValueTask WinBackAsync(Hint hint, DateOnly today, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(hint.Partition, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var lastDay)
            || OutreachRules.WinBackSegment(lastDay, today, Rules.WinBack) is not { } segment)
        {
            return;
        }

        var period = OutreachRules.Period(lastDay);
        var mark = Mark(segment, period);
        if (hint.Mark == mark)
        {
            return;
        }

        run.Look();
        var member = await store.GetAsync(hint.Member, ct);
        if (member is null || member.IsErased || member.Account.LastPurchaseAt is not { } last || DateOnly.FromDateTime(last.UtcDateTime) != lastDay)
        {
            // Erased, or bought again since (a later day's hint stands for the new dormancy).
            await DropAsync(hint, now, run, ct);
            return;
        }

        var plannedFor = Rules.SendingWindow.NextOpening(now, member.Profile.Zone);
        if (await PlanAsync(member, new OutboxKey(member.Id, segment, period), plannedFor, null, null, now, run, ct))
        {
            await indexes.MarkAsync(hint, mark, ct);
        }
    }

    /// <summary>Adds the outbox row (planned, or skipped at once when the member cannot get SMS) and enqueues its send
    /// job. True when the plan is complete: the row exists and, if planned, its job is on the queue.</summary>
    private async Task<bool> PlanAsync(
        StoredMember member, OutboxKey key, DateTimeOffset plannedFor, string? skip, long? expiringPoints, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        skip ??= !member.Profile.SmsOptIn ? "no-consent" : string.IsNullOrEmpty(member.Profile.Phone) ? "no-phone" : null;
        var campaign = key.Campaign.Name();
        var row = new OutboxRow
        {
            Key = key,
            Status = skip is null ? MessageStatus.Planned : MessageStatus.Skipped,
            PlannedAt = now,
            PlannedFor = plannedFor,
            Reason = skip,
            ExpiringPoints = expiringPoints,
        };
        if (await outbox.AddAsync(row, ct) is { } added)
        {
            if (skip is not null)
            {
                run.Skip();
                metrics.OutreachSkipped(campaign, skip);
                LogSkipped(logger, campaign, key.Period, key.Member.Value, skip);
                return true;
            }

            run.Plan();
            metrics.OutreachPlanned(campaign);
            await EnqueueAsync(added, now, ct);
            LogPlanned(logger, campaign, key.Period, key.Member.Value, plannedFor);
            return true;
        }

        return await RequeueLostAsync(key, now, run, ct);
    }

    /// <summary>Plans one reply or transactional message (<paramref name="row"/>, planned): adds it and enqueues its
    /// send job, due at its <see cref="OutboxRow.PlannedFor"/>; the sender decides everything else when it comes. With
    /// a <paramref name="counter"/>, it is added only while fewer than <paramref name="limit"/> were added under it.
    /// Planning a message again (a redelivered request, a replayed purchase) adds nothing, and enqueues a job that was
    /// lost. True when the message is planned and its job is on the queue.</summary>
    public async Task<bool> PlanMessageAsync(OutboxRow row, CancellationToken ct, string? counter = null, int limit = 0)
    {
        var now = time.GetUtcNow();
        var added = counter is null ? await outbox.AddAsync(row, ct) : await outbox.AddCountedAsync(row, counter, limit, ct);
        if (added is null)
        {
            return await RequeueLostAsync(row.Key, now, null, ct);
        }

        metrics.OutreachPlanned(row.Key.Campaign.Name());
        await EnqueueAsync(added, now, ct);
        LogPlanned(logger, row.Key.Campaign.Name(), row.Key.Period, row.Key.Member.Value, row.PlannedFor);
        return true;
    }

    /// <summary>Enqueues the send jobs of messages an operation planned in its own transaction (<see cref="OperationResult{T}.Planned"/>),
    /// each due at its planned time, and removes their sending hints: the reconciliation no longer needs to look at
    /// them. A crash before this leaves them to the reconciliation.</summary>
    public async Task EnqueuePlannedAsync(IReadOnlyList<OutboxRow> planned, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var row in planned)
        {
            metrics.OutreachPlanned(row.Key.Campaign.Name());
            await EnqueueAsync(row, now, ct);
            await outbox.ForgetSendingAsync(row.Key, ct, row.Hint);
            LogPlanned(logger, row.Key.Campaign.Name(), row.Key.Period, row.Key.Member.Value, row.PlannedFor);
        }
    }

    /// <summary>Enqueues again the job of a planned row whose enqueue was lost (not one a run may still be enqueueing).
    /// False when the row is too young to tell.</summary>
    private async Task<bool> RequeueLostAsync(OutboxKey key, DateTimeOffset now, Counters? run, CancellationToken ct)
    {
        var existing = await outbox.GetAsync(key, ct);
        if (existing is { Status: MessageStatus.Planned, Enqueued: false })
        {
            if (existing.PlannedAt > now - EnqueueGrace)
            {
                return false;
            }

            run?.Requeue();
            await EnqueueAsync(existing, now, ct);
            LogRequeued(logger, key.Campaign.Name(), key.Period, key.Member.Value);
        }

        return existing is not null;
    }

    private async Task EnqueueAsync(OutboxRow row, DateTimeOffset now, CancellationToken ct)
    {
        await queue.EnqueueAsync(row.Key, row.PlannedFor - now, ct);

        // Null when the sender got to the row first: it no longer matters.
        await outbox.UpdateAsync(row with { Enqueued = true }, ct);
    }

    private async Task CreditBirthdayAsync(MemberId id, FixedBonus bonus, DateOnly day, CancellationToken ct)
    {
        var year = OutreachRules.Period(day.Year);
        var key = new OperationKey(OperationKinds.Birthday, OperationId.Parse(year));
        await store.RunAsync(new CreditBonus(id, key, "birthday", bonus.Points, $"birthday-{year}"), ct);
    }

    /// <summary>Deletes a hint that no longer holds, unless it is too young to tell (see <see cref="HintSettle"/>) or
    /// was written again since it was read.</summary>
    private async Task DropAsync(Hint hint, DateTimeOffset now, Counters run, CancellationToken ct)
    {
        if (hint.WrittenAt is { } written && written < now - HintSettle)
        {
            run.Drop();
            await indexes.RemoveAsync(hint, ct);
        }
    }

    private PlanRun Finish(string planner, DateOnly day, Counters run)
    {
        var result = new PlanRun(planner, day, run.Looked, run.Planned, run.Skipped, run.Requeued, run.Dropped);
        LogRun(logger, planner, day, result.Looked, result.Planned, result.Skipped, result.Requeued, result.Dropped);
        return result;
    }

    private static string Mark(Campaign campaign, string period) => $"{campaign.Name()}:{period}";

    private static Task ForEachAsync(IAsyncEnumerable<Hint> hints, CancellationToken ct, Func<Hint, CancellationToken, ValueTask> body) =>
        Parallel.ForEachAsync(hints, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, body);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Planner} for {Day}: looked at {Looked} members, planned {Planned}, skipped {Skipped}, re-enqueued {Requeued}, dropped {Dropped} stale hints")]
    private static partial void LogRun(ILogger logger, string planner, DateOnly day, int looked, int planned, int skipped, int requeued, int dropped);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Planned {Campaign} {Period} for {MemberId} at {PlannedFor}")]
    private static partial void LogPlanned(ILogger logger, string campaign, string period, string memberId, DateTimeOffset plannedFor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped {Campaign} {Period} for {MemberId}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string campaign, string period, string memberId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Campaign} {Period} for {MemberId} was planned but its send job was lost; enqueued it again")]
    private static partial void LogRequeued(ILogger logger, string campaign, string period, string memberId);

    private sealed class Counters
    {
        private int looked, planned, skipped, requeued, dropped;

        public int Looked => looked;

        public int Planned => planned;

        public int Skipped => skipped;

        public int Requeued => requeued;

        public int Dropped => dropped;

        public void Look() => Interlocked.Increment(ref looked);

        public void Plan() => Interlocked.Increment(ref planned);

        public void Skip() => Interlocked.Increment(ref skipped);

        public void Requeue() => Interlocked.Increment(ref requeued);

        public void Drop() => Interlocked.Increment(ref dropped);
    }
}
