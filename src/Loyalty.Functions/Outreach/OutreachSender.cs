using Loyalty.Adapters.Sms;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;
using Loyalty.Functions.Telemetry;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Outreach;

public enum SendOutcomeKind
{
    /// <summary>ACS accepted it (or, in a dry run, it was rendered and recorded).</summary>
    Sent,

    /// <summary>Not sent, for good: the reason is on the row.</summary>
    Skipped,

    /// <summary>Not now: enqueued again for a later sending window.</summary>
    Deferred,

    /// <summary>The row had its final status already: nothing to do.</summary>
    AlreadyDone,

    /// <summary>No such outbox row.</summary>
    NotFound,

    /// <summary>ACS refused it for good.</summary>
    Failed,

    /// <summary>ACS no longer knew the repeatability id: whether an earlier attempt went out is unknown; never resent.</summary>
    Unconfirmed,

    /// <summary>ACS could not take it now: the job must come back (same repeatability id, so never twice).</summary>
    RetryLater,

    /// <summary>ACS settings are missing (and it is not a dry run): nothing was touched.</summary>
    NotConfigured,
}

public sealed record SendOutcome(SendOutcomeKind Kind, string Detail);

/// <summary>Sends one planned message when its job comes off the queue. It re-reads the member and the outbox row and
/// decides again: a final row is done; no consent, no phone or no longer true (the birthday passed, the points are
/// gone, the member came back) skips it; outside the member's sending window, or behind a message of higher priority
/// that day, or over the frequency cap, it is enqueued again for a later window. Otherwise it takes the day's slot and
/// moves the row to <c>sending</c> in one transaction, renders the template and calls ACS with the row's repeatability
/// id (created then, reused on every retry), and records what ACS said.</summary>
public sealed partial class OutreachSender(
    Outbox outbox,
    OutreachQueue queue,
    AcsSmsClient sms,
    IOptions<AcsSmsOptions> smsOptions,
    ProgramDefinition program,
    TimeProvider time,
    LoyaltyMetrics metrics,
    ILogger<OutreachSender> logger)
{
    private const int MaxRounds = 5;
    private const int MaxReasonLength = 200;

    private OutreachDefinition Rules => program.Outreach;

    public async Task<SendOutcome> SendAsync(OutboxKey key, CancellationToken ct)
    {
        for (var round = 1; round <= MaxRounds; round++)
        {
            var now = time.GetUtcNow();

            // Slots of the week before, in any time zone: the member's day is within a day of the UTC date.
            var state = await outbox.LoadAsync(key.Member, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-8), ct);
            if (state.Row(key) is not { } row)
            {
                return new SendOutcome(SendOutcomeKind.NotFound, "no such outbox row");
            }

            if (OutboxStatus.IsFinal(row.Status))
            {
                return new SendOutcome(SendOutcomeKind.AlreadyDone, $"already {row.Status}");
            }

            var member = state.Member;
            var zone = member is null ? TimeZoneInfo.Utc : OutreachPlanner.Zone(member);
            var localToday = SendingWindows.LocalDay(now, zone);
            var check = Check(key, member, zone, now);
            var target = check.Skip is null ? Rules.SendingWindow.NextOpening(check.NotBefore > now ? check.NotBefore : now, zone) : now;
            if (check.Skip is null && row.Status == OutboxStatus.Planned && target <= now)
            {
                // Due now as far as the member goes; the frequency rules may still move it to another day.
                target = Later(target, CapTarget(key, state, zone, localToday), out var capReason);
                check = check with { Why = capReason ?? check.Why };
            }

            var skip = check.Skip ?? (check.Deadline is { } deadline && target >= deadline ? check.DeadlineReason : null);
            if (skip is not null && row.Status == OutboxStatus.Sending)
            {
                // An earlier attempt reached ACS or not, nobody knows: the row must not claim it was never sent.
                var unknown = $"{skip} after an attempt whose outcome is unknown";
                if (await outbox.UpdateAsync(row with { Status = OutboxStatus.Unconfirmed, Reason = unknown }, ct) is null)
                {
                    continue;
                }

                metrics.OutreachUnconfirmed(key.Campaign.Name());
                return new SendOutcome(SendOutcomeKind.Unconfirmed, unknown);
            }

            if (skip is not null)
            {
                if (await outbox.UpdateAsync(row with { Status = OutboxStatus.Skipped, Reason = skip }, ct) is null)
                {
                    continue;
                }

                metrics.OutreachSkipped(key.Campaign.Name(), skip);
                LogSkipped(logger, key.Campaign.Name(), key.Period, key.Member.Value, skip);
                return new SendOutcome(SendOutcomeKind.Skipped, skip);
            }

            if (target > now)
            {
                if (await outbox.UpdateAsync(row with { PlannedFor = target, Reason = check.Why, Enqueued = true }, ct) is null)
                {
                    continue;
                }

                await queue.EnqueueAsync(key, target - now, ct);
                LogDeferred(logger, key.Campaign.Name(), key.Period, key.Member.Value, check.Why, target);
                return new SendOutcome(SendOutcomeKind.Deferred, $"{check.Why}: deferred to {target:O}");
            }

            if (NotConfigured() is { } missing)
            {
                return new SendOutcome(SendOutcomeKind.NotConfigured, missing);
            }

            if (row.Status == OutboxStatus.Planned)
            {
                // Created now, at the first attempt (not at planning: ACS remembers a repeatability id for a limited
                // time), stored with the values the text shows, and reused as they are on every retry.
                var repeatability = SmsRepeatability.Create(time);
                var sending = row with
                {
                    Status = OutboxStatus.Sending,
                    Reason = null,
                    Enqueued = true,
                    RepeatabilityRequestId = repeatability.RequestId,
                    RepeatabilityFirstSent = repeatability.FirstSent,
                    Points = member!.Account.Balance.Value,
                    ExpiringPoints = key.Campaign == Campaign.ExpiryWarning && OutreachRules.TryParsePeriodDay(key.Period, out var expiry)
                        ? ExpiringOn(member, expiry)
                        : null,
                };
                if (await outbox.BeginSendAsync(sending, localToday, now, ct) is not { } begun)
                {
                    // The day's slot went to another message, or the row changed: decide again.
                    continue;
                }

                row = begun;
            }

            return await DeliverAsync(row, member!, now, ct);
        }

        throw new ConcurrencyExhaustedException(key.Member.Value, MaxRounds);
    }

    private async Task<SendOutcome> DeliverAsync(OutboxRow row, StoredMember member, DateTimeOffset now, CancellationToken ct)
    {
        var key = row.Key;
        var campaign = key.Campaign.Name();
        var values = new TemplateValues
        {
            ProgramName = program.Name,
            FirstName = member.Profile.FirstName,
            Points = new Points(row.Points ?? member.Account.Balance.Value),
        };
        if (key.Campaign == Campaign.ExpiryWarning && OutreachRules.TryParsePeriodDay(key.Period, out var day))
        {
            values = values with { ExpiringPoints = new Points(row.ExpiringPoints ?? ExpiringOn(member, day) ?? 0), ExpiryDate = day };
        }

        var rendered = Rules.Render(key.Campaign, member.Profile.Locale, values);
        var message = new SmsMessage
        {
            To = member.Profile.Phone!,
            Body = rendered.Text,
            Repeatability = new SmsRepeatability(row.RepeatabilityRequestId!.Value, row.RepeatabilityFirstSent!.Value),
            Tag = key.Tag,
        };
        var attempts = checked(row.Attempts + 1);
        var result = await sms.SendAsync(message, ct);
        switch (result)
        {
            case SmsSendResult.Accepted accepted:
                await outbox.RecordOutcomeAsync(key, OutboxStatus.Sent, attempts, accepted.MessageId, now, null, ct);
                metrics.OutreachSent(campaign);
                return new SendOutcome(SendOutcomeKind.Sent, $"sent as {accepted.MessageId} ({rendered.Locale}, {rendered.Segments.Segments} segments)");
            case SmsSendResult.DryRun dry:
                await outbox.RecordOutcomeAsync(key, OutboxStatus.Sent, attempts, dry.MessageId, now, "dry-run", ct);
                metrics.OutreachSent(campaign);
                return new SendOutcome(SendOutcomeKind.Sent, $"dry run: rendered ({rendered.Locale}, {rendered.Segments.Segments} segments), not sent");
            case SmsSendResult.Rejected rejected:
                var refusal = Shorten($"rejected by ACS ({rejected.StatusCode}): {SmsRedaction.Redact(rejected.Error) ?? "no reason given"}");
                await outbox.RecordOutcomeAsync(key, OutboxStatus.Failed, attempts, null, null, refusal, ct);
                metrics.OutreachFailed(campaign);
                return new SendOutcome(SendOutcomeKind.Failed, refusal);
            case SmsSendResult.Unconfirmed unconfirmed:
                var unknown = Shorten($"unconfirmed: {SmsRedaction.Redact(unconfirmed.Error) ?? "ACS no longer knows the repeatability id"}");
                await outbox.RecordOutcomeAsync(key, OutboxStatus.Unconfirmed, attempts, null, null, unknown, ct);
                metrics.OutreachUnconfirmed(campaign);
                return new SendOutcome(SendOutcomeKind.Unconfirmed, unknown);
            case SmsSendResult.Failed failed:
                var transient = Shorten($"not sent yet ({failed.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer"}): {SmsRedaction.Redact(failed.Reason)}");
                await outbox.RecordOutcomeAsync(key, OutboxStatus.Sending, attempts, null, null, transient, ct);
                return new SendOutcome(SendOutcomeKind.RetryLater, transient);
            default:
                throw new InvalidOperationException($"Unknown SMS result {result.GetType().Name}.");
        }
    }

    /// <summary>Whether the message may still go out, and from when until when.</summary>
    private Validity Check(OutboxKey key, StoredMember? member, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (member is null)
        {
            return Validity.Skipped("member-not-found");
        }

        if (member.IsErased)
        {
            return Validity.Skipped("erased");
        }

        if (!member.Profile.SmsOptIn)
        {
            return Validity.Skipped("no-consent");
        }

        if (string.IsNullOrEmpty(member.Profile.Phone))
        {
            return Validity.Skipped("no-phone");
        }

        var utcToday = DateOnly.FromDateTime(now.UtcDateTime);
        switch (key.Campaign)
        {
            case Campaign.Birthday:
                if (!OutreachRules.TryParsePeriodYear(key.Period, out var year) || member.Profile.Birthday is not { } birthday)
                {
                    return Validity.Skipped("no-birthday");
                }

                var (opens, closes) = Rules.SendingWindow.On(birthday.In(year), zone);
                return new Validity(null, opens, closes, "birthday-passed", "quiet-hours");
            case Campaign.ExpiryWarning:
                OutreachRules.TryParsePeriodDay(key.Period, out var day);
                return ExpiringOn(member, day) is null
                    ? Validity.Skipped("points-gone")
                    : new Validity(null, now, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), "points-expired", "quiet-hours");
            default:
                OutreachRules.TryParsePeriodDay(key.Period, out var lastDay);
                if (member.Account.LastPurchaseAt is not { } last || DateOnly.FromDateTime(last.UtcDateTime) != lastDay)
                {
                    return Validity.Skipped("purchased-again");
                }

                if (OutreachRules.WinBackSegment(lastDay, utcToday, Rules.WinBack) != key.Campaign)
                {
                    return Validity.Skipped("segment-ended");
                }

                var endsAfter = key.Campaign == Campaign.WinbackAtRisk ? Rules.WinBack.LapsedDays : Rules.WinBack.GiveUpDays;
                return new Validity(null, now, new DateTimeOffset(lastDay.AddDays(endsAfter).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), "segment-ended", "quiet-hours");
        }
    }

    /// <summary>The sending window of the first day the frequency rules allow, when today is not it; null when today is
    /// fine. A message of higher priority planned for today goes first; a day holds one message; any 7 days hold at
    /// most <see cref="OutreachDefinition.MaxPerWeek"/>.</summary>
    private (DateTimeOffset At, string Why)? CapTarget(OutboxKey key, SendState state, TimeZoneInfo zone, DateOnly today)
    {
        var tomorrow = Rules.SendingWindow.On(today.AddDays(1), zone).Opens;
        var outranked = state.Outbox.Any(o => o.Key != key
            && o.Status is OutboxStatus.Planned or OutboxStatus.Sending
            && o.Key.Campaign.Priority() < key.Campaign.Priority()
            && SendingWindows.LocalDay(o.PlannedFor, zone) == today);
        if (outranked)
        {
            return (tomorrow, "priority");
        }

        if (state.Slots.Any(s => s.Day == today))
        {
            return (tomorrow, "daily-cap");
        }

        var first = OutreachRules.FirstDayUnderWeeklyCap([.. state.Slots.Select(s => s.Day)], today, Rules.MaxPerWeek);
        return first > today ? (Rules.SendingWindow.On(first, zone).Opens, "weekly-cap") : null;
    }

    private static DateTimeOffset Later(DateTimeOffset target, (DateTimeOffset At, string Why)? cap, out string? why)
    {
        why = cap?.Why;
        return cap is { } c && c.At > target ? c.At : target;
    }

    private static long? ExpiringOn(StoredMember member, DateOnly day) =>
        member.Account.Lots.FirstOrDefault(l => l.ExpiresOn == day && l.Remaining > Points.Zero)?.Remaining.Value;

    private string? NotConfigured()
    {
        var o = smsOptions.Value;
        return o.DryRun || (o.IsConfigured && !string.IsNullOrWhiteSpace(o.From))
            ? null
            : $"SMS is not configured: set {AcsSmsOptions.ConnectionStringSetting} and {AcsSmsOptions.FromSetting}, or {AcsSmsOptions.DryRunSetting}=true to render and record without sending";
    }

    private static string Shorten(string text) => text.Length <= MaxReasonLength ? text : text[..MaxReasonLength];

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped {Campaign} {Period} for {MemberId}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string campaign, string period, string memberId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deferred {Campaign} {Period} for {MemberId} ({Reason}) to {Target}")]
    private static partial void LogDeferred(ILogger logger, string campaign, string period, string memberId, string reason, DateTimeOffset target);

    /// <param name="Skip">Why it can never go out, if so.</param>
    /// <param name="NotBefore">The earliest it may go out (a birthday greeting waits for the day).</param>
    /// <param name="Deadline">When it stops being true (the end of the birthday's window, the expiry, the end of the segment).</param>
    /// <param name="DeadlineReason">The skip reason once the deadline is reached.</param>
    /// <param name="Why">Why it waits, when it does.</param>
    private sealed record Validity(string? Skip, DateTimeOffset NotBefore, DateTimeOffset? Deadline, string DeadlineReason, string Why)
    {
        public static Validity Skipped(string reason) => new(reason, default, null, reason, reason);
    }
}
