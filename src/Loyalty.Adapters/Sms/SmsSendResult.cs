namespace Loyalty.Adapters.Sms;

/// <summary>What became of one send. Match on the cases:
/// <list type="bullet">
/// <item><see cref="Accepted"/>: ACS took the message (a repeat of an accepted request answers the same way).</item>
/// <item><see cref="DryRun"/>: nothing was sent, because <c>Outreach:DryRun</c> is on.</item>
/// <item><see cref="Rejected"/>: permanent, for this recipient or this request (invalid number, opted out at the
/// carrier, …): record it, don't retry.</item>
/// <item><see cref="Unconfirmed"/>: ACS no longer tracks the repeatability id (its first-sent time is too old),
/// so an earlier attempt may or may not have gone out: don't send again.</item>
/// <item><see cref="Failed"/>: transient, after the client's own retries (throttled, ACS down, timed out, circuit
/// open, credentials refused): retry later with the same <see cref="SmsRepeatability"/>, which cannot send twice.</item>
/// </list></summary>
public abstract record SmsSendResult
{
    private SmsSendResult()
    {
    }

    /// <summary>ACS accepted the message; <paramref name="MessageId"/> identifies it in delivery reports.</summary>
    public sealed record Accepted(string MessageId) : SmsSendResult;

    /// <summary>Not sent: dry run. <paramref name="MessageId"/> is synthetic (<c>dry-run-…</c>), derived from the
    /// repeatability id so that a repeat gives the same one.</summary>
    public sealed record DryRun(string MessageId) : SmsSendResult;

    /// <summary>ACS refused this message for good, with an HTTP status (inside a 202 for a per-recipient failure).</summary>
    public sealed record Rejected(int StatusCode, string? Error) : SmsSendResult;

    /// <summary>ACS answered 412: the repeatability window has passed, and whether an earlier attempt was sent is unknown.</summary>
    public sealed record Unconfirmed(string? Error) : SmsSendResult;

    /// <summary>Nothing is known to have been sent and trying again later may work. <paramref name="StatusCode"/> is
    /// ACS's last answer, if any; <paramref name="RetryAfter"/> is how long ACS asked to wait, if it said.
    /// <paramref name="Refused"/>: ACS refused the request before looking at the message (its credentials check), so
    /// this call certainly sent nothing.</summary>
    public sealed record Failed(int? StatusCode, string Reason, TimeSpan? RetryAfter, bool Refused = false) : SmsSendResult;
}
