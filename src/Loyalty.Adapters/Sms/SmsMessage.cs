using System.Globalization;
using System.Text.RegularExpressions;

namespace Loyalty.Adapters.Sms;

/// <summary>The repeatability of one SMS to one recipient: an id and the time of the first attempt, created once
/// (at the outbox row's first send attempt: ACS tracks an id for minutes, not for the days a message may wait for its
/// window), stored with the row, and sent unchanged on every retry. ACS processes a request id
/// once and answers a repeat with the first outcome, which is what makes retrying a send safe.</summary>
public readonly record struct SmsRepeatability(Guid RequestId, DateTimeOffset FirstSent)
{
    /// <summary>A new id, first sent now (to the second: the wire format has no fractions, and the stored value
    /// must be the value sent).</summary>
    public static SmsRepeatability Create(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new SmsRepeatability(Guid.NewGuid(), now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)));
    }

    /// <summary><see cref="FirstSent"/> as ACS wants it: RFC 1123 (IMF-fixdate), in GMT.</summary>
    public string FirstSentRfc1123 => FirstSent.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
}

/// <summary>One SMS to one recipient.</summary>
public sealed partial record SmsMessage
{
    /// <summary>The longest message ACS accepts.</summary>
    public const int MaxLength = 2048;

    /// <summary>The recipient in E.164 (<c>+14255550123</c>).</summary>
    public required string To { get; init; }

    public required string Body { get; init; }

    public required SmsRepeatability Repeatability { get; init; }

    /// <summary>Echoed by ACS in delivery report events: use it to find the outbox row again (e.g. its key).</summary>
    public string? Tag { get; init; }

    public bool EnableDeliveryReport { get; init; } = true;

    /// <summary>Throws for a message no ACS request should carry: these are the caller's bugs, not outcomes.</summary>
    internal void Check()
    {
        if (!E164().IsMatch(To))
        {
            throw new ArgumentException($"The recipient {SmsRedaction.Mask(To)} is not an E.164 number.", nameof(To));
        }

        if (string.IsNullOrWhiteSpace(Body) || Body.Length > MaxLength)
        {
            throw new ArgumentException($"An SMS body must have 1 to {MaxLength} characters, not {Body?.Length ?? 0}.", nameof(Body));
        }

        if (Repeatability.RequestId == Guid.Empty || Repeatability.FirstSent == default)
        {
            throw new ArgumentException("The repeatability id and first-sent time must be set (create them once per outbox row).", nameof(Repeatability));
        }
    }

    /// <summary>Keeps phone numbers and bodies out of logs and exception messages that print the record.</summary>
    public override string ToString() =>
        $"SmsMessage {{ To = {SmsRedaction.Mask(To)}, Body = {Body.Length} characters, RequestId = {Repeatability.RequestId}, Tag = {Tag} }}";

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    internal static partial Regex E164();
}
