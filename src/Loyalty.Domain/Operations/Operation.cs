using Loyalty.Domain.Events;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Outreach;
using Loyalty.Domain.Program;

namespace Loyalty.Domain.Operations;

/// <summary>The idempotency key of an operation on a member: its kind and its id. A member has at most one operation
/// per key, and kinds whose ids the caller chooses (<see cref="MemberOperation{TResult}.ClaimsId"/>) have each id at
/// most once in the whole program.</summary>
public readonly record struct OperationKey(string Kind, OperationId Id)
{
    public override string ToString() => $"{Kind} {Id.Value}";
}

/// <summary>The kinds of operation, as stored in operation keys.</summary>
public static class OperationKinds
{
    public const string Purchase = "purchase";
    public const string Return = "return";
    public const string Adjustment = "adjust";
    public const string Redemption = "redeem";
    public const string Cancellation = "cancel";
    public const string Referral = "referral";
    public const string Birthday = "birthday";
    public const string Expiry = "expire";
    public const string TierReview = "tier-review";
    public const string Hold = "hold";
    public const string Capture = "capture";
    public const string Release = "release";
    public const string VoucherUse = "voucher-use";
    public const string Import = "import";
}

/// <summary>A member as the domain sees them: what they told the shop, their points, and whether their personal
/// data was erased (then the profile is empty and only the anonymised account is kept).</summary>
public record Member(MemberId Id, MemberProfile Profile, Account Account, DateTimeOffset? ErasedAt = null)
{
    public bool IsErased => ErasedAt is not null;
}

/// <summary>What every decision may use besides the member: the program's rules, the time of the decision, and a
/// source of voucher codes (random: the caller supplies it).</summary>
public sealed record OperationContext(ProgramDefinition Program, DateTimeOffset Now, Func<string> NewVoucherCode)
{
    /// <summary>The UTC date of <see cref="Now"/>: windows and expiries count in UTC days.</summary>
    public DateOnly Today => DateOnly.FromDateTime(Now.UtcDateTime);
}

/// <summary>One operation on one member's account, as a value: what the caller asked. <see cref="Decide"/> is a pure
/// function from the member as stored (and, for <see cref="RelatedKey"/>, the record of the operation it refers to)
/// to an outcome: a posting to commit with its result, or a refusal. The storage adapter runs every operation through
/// the same read–decide–commit loop; nothing else decides.</summary>
/// <typeparam name="TResult">What the caller gets back, the first time and on every replay.</typeparam>
public abstract record MemberOperation<TResult>(MemberId MemberId, OperationKey Key)
{
    /// <summary>A canonical digest of what the request says, so that a replay can be told from another request reusing
    /// the id (<see cref="Fingerprint.Of"/>).</summary>
    public abstract string Fingerprint { get; }

    /// <summary>Whether the id is the caller's and unique in the program (an order id, a return id): used for another
    /// member it is a conflict, not a new operation.</summary>
    public virtual bool ClaimsId => false;

    /// <summary>Whether the operation also applies to an erased member (points still expire); otherwise it is refused.</summary>
    public virtual bool AllowsErased => false;

    /// <summary>The operation of the same member this one refers to (the purchase a return returns); its record is read
    /// with the member and given to <see cref="Decide"/>, and may be replaced in the same transaction.</summary>
    public virtual OperationKey? RelatedKey => null;

    /// <summary>The type of the related operation's record.</summary>
    public virtual Type? RelatedRecordType => null;

    public abstract Outcome<TResult> Decide(Member member, object? related, OperationContext context);

    /// <summary>The events of a committed outcome, in the order they are published: those the operation named, then
    /// what its posting changed in the account (<see cref="AccountEvents"/>). None for a refusal.</summary>
    public IReadOnlyList<DomainEvent> EventsOf(Outcome<TResult> outcome, ProgramDefinition program) =>
        outcome.Posting is not { } posting ? [] : [.. outcome.Events, .. AccountEvents.Between(posting.Start, posting.Account, Key, program.Tiers)];

    /// <summary>The transactional messages a committed outcome plans in its own transaction
    /// (<see cref="TransactionalMessages"/>): a thank-you when the operation thanks the member, a notice of each voucher
    /// it issued. None for a refusal.</summary>
    public IReadOnlyList<PlannedMessage> MessagesOf(Outcome<TResult> outcome, Member member, ProgramDefinition program) =>
        outcome.Posting is not { } posting ? []
        : TransactionalMessages.Between(member, posting.Account, ThanksFor(outcome.Result!), program.Outreach, posting.RecordedAt);

    /// <summary>What a thank-you for this operation is for; null when the operation thanks nobody (only a purchase does).</summary>
    protected virtual Thanks? ThanksFor(TResult result) => null;
}

/// <summary>What an operation decided.</summary>
public sealed record Outcome<TResult>
{
    private Outcome(Posting? posting, TResult? result, object? record, object? relatedRecord, Refusal? refusal, IReadOnlyList<DomainEvent> events) =>
        (Posting, Result, Record, RelatedRecord, Refusal, Events) = (posting, result, record, relatedRecord, refusal, events);

    /// <summary>The entries and the account after them, to commit in one transaction.</summary>
    public Posting? Posting { get; }

    public TResult? Result { get; }

    /// <summary>Facts later operations read back (a purchase's amounts for its returns), kept with the operation.</summary>
    public object? Record { get; }

    /// <summary>The related operation's record as it is after this one (a purchase after a return).</summary>
    public object? RelatedRecord { get; }

    /// <summary>Why nothing is done; nothing is written.</summary>
    public Refusal? Refusal { get; }

    /// <summary>The events the operation names for its change (usually one), committed with it. Tier and voucher events
    /// are added by <see cref="MemberOperation{TResult}.EventsOf"/>.</summary>
    public IReadOnlyList<DomainEvent> Events { get; }

    public static Outcome<TResult> Commit(
        Posting posting, TResult result, object? record = null, object? relatedRecord = null, IEnumerable<DomainEvent>? events = null) =>
        new(posting, result, record, relatedRecord, null, [.. events ?? []]);

    public static Outcome<TResult> Refuse(Refusal refusal) => new(null, default, null, null, refusal, []);

    public static implicit operator Outcome<TResult>(Refusal refusal) => Refuse(refusal);
}
