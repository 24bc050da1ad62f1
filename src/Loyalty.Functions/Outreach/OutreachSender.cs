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

            var situation = new SendSituation(row.State, state.Member, [.. state.Outbox.Select(o => o.State)], [.. state.Slots.Select(s => s.Day)], now);
            var campaign = key.Campaign.Name();
            switch (Sending.Decide(Rules, situation))
            {
                case SendDecision.AlreadyDone done:
                    return new SendOutcome(SendOutcomeKind.AlreadyDone, $"already {done.Status}");
                case SendDecision.GiveUp giveUp:
                    if (await outbox.UpdateAsync(row.MoveTo(MessageStatus.Unconfirmed, giveUp.Reason) with { To = null }, ct) is null)
                    {
                        continue;
                    }

                    await outbox.ForgetSendingAsync(key, ct);
                    metrics.OutreachUnconfirmed(campaign);
                    return new SendOutcome(SendOutcomeKind.Unconfirmed, giveUp.Reason);
                case SendDecision.Skip skip:
                    if (await outbox.UpdateAsync(row.MoveTo(MessageStatus.Skipped, skip.Reason) with { To = null }, ct) is null)
                    {
                        continue;
                    }

                    metrics.OutreachSkipped(campaign, skip.Reason);
                    LogSkipped(logger, campaign, key.Period, key.Member.Value, skip.Reason);
                    return new SendOutcome(SendOutcomeKind.Skipped, skip.Reason);
                case SendDecision.Defer defer:
                    // A message in sending that waits for a window is not left behind: the reconciliation looks at it after then.
                    var deferred = row.MoveTo(row.Status, defer.Why) with { PlannedFor = defer.Until, Enqueued = true };
                    if (await outbox.UpdateAsync(row.Status == MessageStatus.Sending ? deferred with { LastAttemptAt = defer.Until } : deferred, ct) is null)
                    {
                        continue;
                    }

                    await queue.EnqueueAsync(key, defer.Until - now, ct);
                    LogDeferred(logger, campaign, key.Period, key.Member.Value, defer.Why, defer.Until);
                    return new SendOutcome(SendOutcomeKind.Deferred, $"{defer.Why}: deferred to {defer.Until:O}");
                case SendDecision.Begin begin when NotConfigured() is null:
                    // Created now, at the first attempt (not at planning: ACS remembers a repeatability id for a limited
                    // time), stored with the values the text shows, and reused as they are on every retry.
                    var repeatability = SmsRepeatability.Create(time);
                    var sending = row.MoveTo(MessageStatus.Sending, null) with
                    {
                        Enqueued = true,
                        RepeatabilityRequestId = repeatability.RequestId,
                        RepeatabilityFirstSent = repeatability.FirstSent,
                        Points = begin.Points,
                        ExpiringPoints = begin.ExpiringPoints,
                        ExpiringVouchers = begin.ExpiringVouchers,

                        // The call is counted before it is made: the transaction commits before ACS is called.
                        Calls = checked(row.Calls + 1),
                        LastAttemptAt = now,
                    };
                    var slot = key.Campaign.Kind() == CampaignKind.Marketing ? begin.LocalDay : (DateOnly?)null;
                    if (await outbox.BeginSendAsync(sending, slot, now, ct) is not { } begun)
                    {
                        // The day's slot went to another message, or the row changed: decide again.
                        continue;
                    }

                    return await DeliverAsync(begun, state.Member, now, ct);
                case SendDecision.Resend when NotConfigured() is null:
                    if (await outbox.BeginCallAsync(row, now, ct) is not { } calling)
                    {
                        continue;
                    }

                    return await DeliverAsync(calling, state.Member, now, ct);
                default:
                    return new SendOutcome(SendOutcomeKind.NotConfigured, NotConfigured()!);
            }
        }

        throw new ConcurrencyExhaustedException(key.Member.Value, MaxRounds);
    }

    // A member's message goes to their phone, in their language; a reply to a number no member has goes to the number
    // on its row, in the keyword's language, and says nothing about anyone.
    private async Task<SendOutcome> DeliverAsync(OutboxRow row, StoredMember? member, DateTimeOffset now, CancellationToken ct)
    {
        var key = row.Key;
        var campaign = key.Campaign.Name();
        var addressed = row.To is not null;
        var rendered = addressed
            ? Rules.Render(key.Campaign, row.Locale, new TemplateValues { ProgramName = program.Name, Contact = Rules.ContactIn(row.Locale), CanReply = smsOptions.Value.TakesReplies })
            : Rules.Render(key.Campaign, member!.Profile.Locale, ValuesFor(row, member, now));
        var message = new SmsMessage
        {
            To = row.To ?? member!.Profile.Phone!,
            Body = rendered.Text,
            Repeatability = new SmsRepeatability(row.RepeatabilityRequestId!.Value, row.RepeatabilityFirstSent!.Value),
            Tag = key.Tag,
        };
        var attempts = checked(row.Attempts + 1);
        var result = await sms.SendAsync(message, ct);
        switch (result)
        {
            case SmsSendResult.Accepted accepted:
                await outbox.RecordOutcomeAsync(key, MessageStatus.Sent, attempts, row.Refused, accepted.MessageId, now, null, now, ct, addressed);
                metrics.OutreachSent(campaign);
                return new SendOutcome(SendOutcomeKind.Sent, $"sent as {accepted.MessageId} ({rendered.Locale}, {rendered.Segments.Segments} segments)");
            case SmsSendResult.DryRun dry:
                await outbox.RecordOutcomeAsync(key, MessageStatus.Sent, attempts, row.Refused, dry.MessageId, now, "dry-run", now, ct, addressed);
                metrics.OutreachSent(campaign);
                return new SendOutcome(SendOutcomeKind.Sent, $"dry run: rendered ({rendered.Locale}, {rendered.Segments.Segments} segments), not sent");
            case SmsSendResult.Rejected rejected:
                var refusal = Shorten($"rejected by ACS ({rejected.StatusCode}): {SmsRedaction.Redact(rejected.Error) ?? "no reason given"}");
                await outbox.RecordOutcomeAsync(key, MessageStatus.Failed, attempts, row.Refused, null, null, refusal, now, ct, addressed);
                metrics.OutreachFailed(campaign);
                return new SendOutcome(SendOutcomeKind.Failed, refusal);
            case SmsSendResult.Unconfirmed unconfirmed:
                var unknown = Shorten($"unconfirmed: {SmsRedaction.Redact(unconfirmed.Error) ?? "ACS no longer knows the repeatability id"}");
                await outbox.RecordOutcomeAsync(key, MessageStatus.Unconfirmed, attempts, row.Refused, null, null, unknown, now, ct, addressed);
                metrics.OutreachUnconfirmed(campaign);
                return new SendOutcome(SendOutcomeKind.Unconfirmed, unknown);
            case SmsSendResult.Failed failed:
                var transient = Shorten($"not sent yet ({failed.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer"}): {SmsRedaction.Redact(failed.Reason)}");
                var refused = failed.Refused ? checked(row.Refused + 1) : row.Refused;
                await outbox.RecordOutcomeAsync(key, MessageStatus.Sending, attempts, refused, null, null, transient, now, ct, addressed);
                return new SendOutcome(SendOutcomeKind.RetryLater, transient);
            default:
                throw new InvalidOperationException($"Unknown SMS result {result.GetType().Name}.");
        }
    }

    /// <summary>What the message of <paramref name="row"/> may say: the figures fixed on the row, the rest as the
    /// member stands now, in their language.</summary>
    private TemplateValues ValuesFor(OutboxRow row, StoredMember member, DateTimeOffset now)
    {
        var (key, account, locale) = (row.Key, member.Account, member.Profile.Locale);
        var values = new TemplateValues
        {
            ProgramName = program.Name,
            FirstName = member.Profile.FirstName,
            Points = new Points(row.Points ?? account.Balance.Value),
            Contact = Rules.ContactIn(locale),
            CanReply = smsOptions.Value.TakesReplies,
        };
        switch (key.Campaign)
        {
            case Campaign.ExpiryWarning when OutreachRules.TryParsePeriodDay(key.Period, out var day):
                return values with
                {
                    ExpiringPoints = new Points(row.ExpiringPoints ?? Sending.ExpiringOn(account, day) ?? 0),
                    ExpiringVouchers = row.ExpiringVouchers ?? Sending.VouchersExpiringBy(account, day, now),
                    ExpiryDate = day,
                };
            case Campaign.Balance:
                var tier = program.Tiers.Find(program.Tiers.Shown(account.Tier));
                return values with
                {
                    Tier = tier is null ? null : Localized.Pick(tier.Name, locale) is { Length: > 0 } name ? name : tier.Id,
                    NextExpiry = account.NextExpiring is { ExpiresOn: { } on } lot ? (lot.Remaining, on) : null,
                };
            case Campaign.ThankYou:
                return values with { EarnedPoints = new Points(row.Earned ?? 0) };
            case Campaign.VoucherIssued:
                var rewardId = account.Vouchers.FirstOrDefault(v => v.Code == key.Period)?.RewardId;
                var reward = program.Rewards.FirstOrDefault(r => r.Id == rewardId);
                return values with { Reward = reward?.NameIn(locale) ?? rewardId ?? "" };
            default:
                return values;
        }
    }

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
}
