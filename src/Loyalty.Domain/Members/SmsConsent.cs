namespace Loyalty.Domain.Members;

/// <summary>Where a member's consent to marketing SMS stands.</summary>
public enum ConsentState
{
    /// <summary>Never asked for, or a confirmation request expired unanswered.</summary>
    None,

    /// <summary>Asked for through the API with double opt-in on: a confirmation request went out and waits for YES.</summary>
    Pending,

    Granted,

    /// <summary>Withdrawn (a STOP reply, the API, or erasure).</summary>
    Revoked,
}

/// <summary>A member's SMS consent: the marketing state since when (and until when a pending request waits), and the
/// separate consent to transactional messages (thank-you, voucher notices).</summary>
public sealed record SmsConsent
{
    public static SmsConsent None { get; } = new();

    public ConsentState State { get; init; }

    public DateTimeOffset? Since { get; init; }

    /// <summary>When a <see cref="ConsentState.Pending"/> request expires.</summary>
    public DateTimeOffset? PendingUntil { get; init; }

    /// <summary>Consent to transactional messages, which marketing consent does not imply.</summary>
    public bool Transactional { get; init; }

    /// <summary>The state as it reads at <paramref name="now"/>: a pending request past its time reads as none.</summary>
    public ConsentState At(DateTimeOffset now) => State == ConsentState.Pending && PendingUntil <= now ? ConsentState.None : State;

    /// <summary>Since when <see cref="At"/> holds: an expired request's expiry.</summary>
    public DateTimeOffset? SinceAt(DateTimeOffset now) => At(now) == State ? Since : PendingUntil;

    /// <summary>Whether a confirmation request waits for an answer at <paramref name="now"/>.</summary>
    public bool IsPendingAt(DateTimeOffset now) => At(now) == ConsentState.Pending;

    public static string Name(ConsentState state) => state switch
    {
        ConsentState.Pending => "pending",
        ConsentState.Granted => "granted",
        ConsentState.Revoked => "revoked",
        _ => "none",
    };

    public static ConsentState Parse(string? name) => name switch
    {
        "pending" => ConsentState.Pending,
        "granted" => ConsentState.Granted,
        "revoked" => ConsentState.Revoked,
        _ => ConsentState.None,
    };
}
